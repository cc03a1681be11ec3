import type { StoredEvent } from '../store/eventCodec.js';
import { BatchRows } from './batchRows.js';
import { type Fold, indexToken, type Projection } from './projection.js';

/**
 * The spawn graph: a node per thread with its parent and lifecycle status. Deleted threads keep
 * their node (ids only, no content): auditors can still see what a subtree was.
 */
export const subtreeGraphProjection: Projection = {
  name: 'subtree_graph',
  tables: ['thread_nodes'],
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
    type Node = {
      thread_id: string;
      parent_thread_id: string | null;
      depth: number | null;
      status: string;
    };
    // A node as the batch leaves it: one write per thread the batch names.
    const nodes = new BatchRows<Node>(db, `thread_nodes${suffix}`, 'thread_id', [
      'thread_id',
      'parent_thread_id',
      'depth',
      'status',
    ]);
    const setStatus = (threadId: string, status: string) => {
      const node = nodes.get(threadId);
      nodes.set(
        node
          ? { ...node, status }
          : { thread_id: threadId, parent_thread_id: null, depth: null, status },
      );
    };
    const fold: Fold = Object.assign(
      ({ event: e }: StoredEvent) => {
        switch (e.type) {
          case 'SubagentSpawned': {
            const { childThreadId, parentThreadId } = e.data;
            if (nodes.get(childThreadId)) return;
            const parentDepth = nodes.get(parentThreadId)?.depth;
            nodes.set({
              thread_id: childThreadId,
              parent_thread_id: parentThreadId,
              depth: parentDepth === undefined || parentDepth === null ? null : parentDepth + 1,
              status: 'spawning',
            });
            return;
          }
          case 'ThreadStarted':
            nodes.set({
              thread_id: e.data.threadId,
              parent_thread_id: e.data.parentThreadId,
              depth: e.data.depth,
              status: 'live',
            });
            return;
          case 'ThreadDeleteRequested':
            setStatus(e.data.threadId, 'deleting');
            return;
          case 'ThreadDeleted':
            setStatus(e.data.threadId, 'deleted');
            return;
          default:
            return;
        }
      },
      { begin: () => nodes.begin(), end: () => nodes.end() },
    );
    return fold;
  },
};
