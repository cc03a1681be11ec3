import type { LogEntry } from '../evidence/entry.js';
import type { EventStore } from './eventStore.js';
import { pagedRead } from './pagedRead.js';

/** Events per page of entries. */
export const ENTRY_PAGE = 4096;

/** Every entry after `after`, page by page through `readEntries`, on this thread: any store. */
export const entryPagesOf = (
  store: Pick<EventStore, 'readEntries'>,
  after: bigint | null,
): AsyncGenerator<readonly LogEntry[]> =>
  pagedRead((opts) => store.readEntries(opts), after, ENTRY_PAGE);
