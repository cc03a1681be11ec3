import type { StoredEvent } from '../store/eventCodec.js';
import { KeyedRows } from './keyedRows.js';
import type { Projection } from './projection.js';

/** Thread id -> current name, as Codex's session_index.jsonl means it. Gone at the tombstone. */
export const sessionIndexProjection: Projection = {
  name: 'session_index',
  tables: ['session_index'],
  schema: (suffix) => `CREATE TABLE IF NOT EXISTS session_index${suffix} (
      thread_id TEXT PRIMARY KEY, name TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`,
  indexes: () => '',
  handler(db, suffix) {
    // A name replaces the row whole: nothing is read, each row written once at the batch's end.
    const rows = new KeyedRows<{ thread_id: string; name: string; updated_at: number }>(
      db,
      `session_index${suffix}`,
      ['thread_id', 'name', 'updated_at'],
    );
    const set = (threadId: string, name: string | null, at: number) =>
      name === null
        ? rows.delete(threadId)
        : rows.put(threadId, { thread_id: threadId, name, updated_at: at });
    const fold = ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted':
          if (e.data.name !== null) set(e.data.threadId, e.data.name, m.recordedAtMs);
          return;
        case 'ThreadRenamed':
          set(e.data.threadId, e.data.name, m.recordedAtMs);
          return;
        case 'ThreadDeleteRequested':
          rows.delete(e.data.threadId);
          return;
        default:
          return;
      }
    };
    return Object.assign(fold, { begin: () => rows.clear(), end: () => rows.flush() });
  },
};
