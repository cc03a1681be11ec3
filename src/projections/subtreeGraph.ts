import type { StoredEvent } from '../store/eventCodec.js';
import { KeyedRows } from './keyedRows.js';
import { indexToken, type Projection } from './projection.js';

type NodeRow = {
  thread_id: string;
  parent_thread_id: string | null;
  depth: number | null;
  status: 'spawning' | 'live' | 'deleting' | 'deleted';
};

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
    const rows = new KeyedRows<NodeRow>(db, `thread_nodes${suffix}`, [
      'thread_id',
      'parent_thread_id',
      'depth',
      'status',
    ]);
    const status = (id: string, status: NodeRow['status']) => {
      const row = rows.get(id);
      rows.put(
        id,
        row ? { ...row, status } : { thread_id: id, parent_thread_id: null, depth: null, status },
      );
    };
    const fold = ({ event: e }: StoredEvent) => {
      switch (e.type) {
        case 'SubagentSpawned': {
          const { childThreadId: id, parentThreadId } = e.data;
          if (rows.get(id) !== null) return; // a node there already stays as it is
          const parent = rows.get(parentThreadId);
          const depth = parent?.depth == null ? null : parent.depth + 1;
          rows.put(id, {
            thread_id: id,
            parent_thread_id: parentThreadId,
            depth,
            status: 'spawning',
          });
          return;
        }
        case 'ThreadStarted': {
          const d = e.data;
          rows.put(d.threadId, {
            thread_id: d.threadId,
            parent_thread_id: d.parentThreadId,
            depth: d.depth,
            status: 'live',
          });
          return;
        }
        case 'ThreadDeleteRequested':
          status(e.data.threadId, 'deleting');
          return;
        case 'ThreadDeleted':
          status(e.data.threadId, 'deleted');
          return;
        default:
          return;
      }
    };
    // Folded in memory, each node written once at the batch's end.
    return Object.assign(fold, { begin: () => rows.clear(), end: () => rows.flush() });
  },
};
