import type { StoredEvent } from '../store/eventCodec.js';
import type { Projection } from './projection.js';

/** Thread id -> current name, as Codex's session_index.jsonl means it. Gone at the tombstone. */
export const sessionIndexProjection: Projection = {
  name: 'session_index',
  tables: ['session_index'],
  schema: (suffix) => `CREATE TABLE IF NOT EXISTS session_index${suffix} (
      thread_id TEXT PRIMARY KEY, name TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`,
  indexes: () => '',
  handler(db, suffix) {
    const t = `session_index${suffix}`;
    const upsert = db.prepare(`INSERT INTO ${t} (thread_id, name, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (thread_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`);
    const remove = db.prepare(`DELETE FROM ${t} WHERE thread_id = ?`);
    const set = (threadId: string, name: string | null, at: number) =>
      name === null ? remove.run(threadId) : upsert.run(threadId, name, at);
    return ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted':
          if (e.data.name !== null) set(e.data.threadId, e.data.name, m.recordedAtMs);
          return;
        case 'ThreadRenamed':
          set(e.data.threadId, e.data.name, m.recordedAtMs);
          return;
        case 'ThreadDeleteRequested':
          remove.run(e.data.threadId);
          return;
        default:
          return;
      }
    };
  },
};
