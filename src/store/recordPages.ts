import type { EventStore, RecordedEvent } from './eventStore.js';
import { pagedRead } from './pagedRead.js';

/** Events per page of records. */
export const RECORD_PAGE = 5000;

/** Every event after `after`, page by page through `readAll`, on this thread: any store. */
export const recordPagesOf = (
  store: Pick<EventStore, 'readAll'>,
  after: bigint | null,
): AsyncGenerator<readonly RecordedEvent[]> =>
  pagedRead((opts) => store.readAll(opts), after, RECORD_PAGE);
