import type { EventStore, RecordedEvent } from './eventStore.js';

/** Events per page of records. */
export const RECORD_PAGE = 5000;

/** Every event after `after`, page by page through `readAll`, on this thread: any store. */
export async function* recordPagesOf(
  store: Pick<EventStore, 'readAll'>,
  after: bigint | null,
): AsyncGenerator<readonly RecordedEvent[]> {
  for (;;) {
    const page = await store.readAll({ after, maxCount: RECORD_PAGE });
    if (page.length > 0) yield page;
    if (page.length < RECORD_PAGE) return;
    after = page[page.length - 1]!.position;
  }
}
