import type { StoredEvent } from '../store/eventCodec.js';
import { indexToken, type Projection } from './projection.js';

/**
 * The spawn graph: a node per thread with its parent and lifecycle status. Deleted threads keep
 * their node (ids only, no content): auditors can still see what a subtree was.
 */
export const subtreeGraphProjection: Projection = {
  name: 'subtree_graph',
  tables: ['thread_nodes'],
  holdsNoContent: true,
  schema(suffix) {
    return `
      CREATE TABLE IF NOT EXISTS thread_nodes${suffix} (
        thread_id        TEXT PRIMARY KEY,
        parent_thread_id TEXT,
        depth            INTEGER,
        status           TEXT NOT NULL   -- spawning | live | deleting | deleted
      ) WITHOUT ROWID;`;
  },
  indexes(suffix) {
    const t = `thread_nodes${suffix}`;
    return `CREATE INDEX IF NOT EXISTS ${t}_parent_${indexToken()} ON ${t} (parent_thread_id);`;
  },
  handler(db, suffix) {
    const t = `thread_nodes${suffix}`;
    const edge = db.prepare(`INSERT INTO ${t} (thread_id, parent_thread_id, depth, status)
      VALUES (?, ?, (SELECT depth + 1 FROM ${t} WHERE thread_id = ?), 'spawning') ON CONFLICT DO NOTHING`);
    const started =
      db.prepare(`INSERT INTO ${t} (thread_id, parent_thread_id, depth, status) VALUES (?, ?, ?, 'live')
      ON CONFLICT (thread_id) DO UPDATE SET parent_thread_id = excluded.parent_thread_id, depth = excluded.depth, status = 'live'`);
    const status =
      db.prepare(`INSERT INTO ${t} (thread_id, parent_thread_id, depth, status) VALUES (?, NULL, NULL, ?)
      ON CONFLICT (thread_id) DO UPDATE SET status = excluded.status`);
    return ({ event: e }: StoredEvent) => {
      switch (e.type) {
        case 'SubagentSpawned':
          edge.run(e.data.childThreadId, e.data.parentThreadId, e.data.parentThreadId);
          return;
        case 'ThreadStarted':
          started.run(e.data.threadId, e.data.parentThreadId, e.data.depth);
          return;
        case 'ThreadDeleteRequested':
          status.run(e.data.threadId, 'deleting');
          return;
        case 'ThreadDeleted':
          status.run(e.data.threadId, 'deleted');
          return;
        default:
          return;
      }
    };
  },
};
