import type { RecordedEvent } from '../store/eventStore.js';
import { RECORD_PAGE } from '../store/recordPages.js';

/** Events read from the log per request, and the batch size the live follower applies at most. */
export const LOG_PAGE = RECORD_PAGE;

/**
 * Hands the log's `pages` (read up to its current end) to `apply` in batches of `eventsPerBatch`
 * (the last one may be smaller), one at a time. A larger batch (a rebuild's) writes each hot page
 * once per batch rather than once per page, while memory stays bounded by the batch, not by the
 * log. A source that reads ahead keeps reading while a batch is applied.
 */
export const catchUpLog = async (
  pages: AsyncIterable<readonly RecordedEvent[]>,
  eventsPerBatch: number,
  apply: (batch: RecordedEvent[]) => Promise<void>,
): Promise<void> => {
  let batch: RecordedEvent[] = [];
  for await (const page of pages) {
    for (const e of page) batch.push(e);
    if (batch.length >= eventsPerBatch) {
      await apply(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await apply(batch);
};
