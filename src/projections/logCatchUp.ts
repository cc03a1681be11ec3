import type { EventStore, RecordedEvent } from '../store/eventStore.js';

/** Events read from the log per request, and the batch size the live follower applies at most. */
export const LOG_PAGE = 5000;

/**
 * Reads the log from `after` up to its current end, handing it to `apply` in batches of
 * `eventsPerBatch` (the last one may be smaller), one at a time. The log is read in pages of 5,000:
 * a larger batch (a rebuild's) writes each hot page once per batch rather than once per page,
 * while memory stays bounded by the batch, not by the log.
 */
export const catchUpLog = async (
  store: Pick<EventStore, 'readAll'>,
  after: bigint | null,
  eventsPerBatch: number,
  apply: (batch: RecordedEvent[]) => Promise<void>,
): Promise<void> => {
  let batch: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after, maxCount: LOG_PAGE });
    if (page.length > 0) {
      batch = batch.length === 0 ? page : batch.concat(page);
      after = page[page.length - 1]!.position;
    }
    if (batch.length > 0 && (batch.length >= eventsPerBatch || page.length < LOG_PAGE)) {
      await apply(batch);
      batch = [];
    }
    if (page.length < LOG_PAGE) return;
  }
};
