import type { LogEntry } from '../evidence/entry.js';
import type { EventStore } from './eventStore.js';

/** Events per page of entries. */
export const ENTRY_PAGE = 4096;

/** Every entry after `after`, page by page through `readEntries`, on this thread: any store. */
export async function* entryPagesOf(
  store: Pick<EventStore, 'readEntries'>,
  after: bigint | null,
): AsyncGenerator<readonly LogEntry[]> {
  for (;;) {
    const page = await store.readEntries({ after, maxCount: ENTRY_PAGE });
    if (page.length > 0) yield page;
    if (page.length < ENTRY_PAGE) return;
    after = page[page.length - 1]!.position;
  }
}
