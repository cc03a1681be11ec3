import type Database from 'better-sqlite3';
import { DeletionQueries } from './deletionQueries.js';
import { DeletionStatsQueries } from './deletionStatsQuery.js';
import { ThreadCatalogQueries } from './threadCatalogQuery.js';
import type { ThreadRow } from './threadListQuery.js';

export type NodeRow = {
  thread_id: string;
  parent_thread_id: string | null;
  depth: number | null;
  status: string;
};
/** One tombstoned thread's deletion; `reason`, `requested_by`, `request_id`: its request's (the root's). */
export type DeletionRow = {
  thread_id: string;
  root_thread_id: string;
  status: 'pending' | 'failing' | 'deleted';
  reason: string | null;
  requested_by: string;
  request_id: string;
  requested_at: number;
  completed_at: number | null;
  steps_done: number;
  failures: number;
  failing: string;
  last_error: string | null;
  next_retry_at: number | null;
  updated_at: number;
};
export type DeletionStepRow = {
  thread_id: string;
  position: number;
  step: string;
  outcome: string;
  detail: string;
  at: number;
};

/** The most nodes a walk of the spawn graph (ancestors, descendants) returns. */
export const MAX_TRAVERSAL = 100_000;

/** Reads of the read models other than the paged thread list. */
export class ReadModelQueries {
  private readonly s;
  /** The deletion records by request: the record of one, the list, the export. */
  readonly deletionRequests: DeletionQueries;
  /** The deletion records' statistics: counts, throughput, time to complete, failing steps. */
  readonly deletionStats: DeletionStatsQueries;
  /** Every thread ever started or tombstoned, without content (the audit's catalog). */
  readonly catalog: ThreadCatalogQueries;

  constructor(db: Database.Database) {
    this.deletionRequests = new DeletionQueries(db);
    this.deletionStats = new DeletionStatsQueries(db);
    this.catalog = new ThreadCatalogQueries(db);
    this.s = {
      thread: db.prepare<[string], ThreadRow>('SELECT * FROM threads WHERE thread_id = ?'),
      // No index on rollout_path: a scan of the visible threads, once per start that names a rollout.
      rolloutOwner: db.prepare<[string], { thread_id: string }>(
        'SELECT thread_id FROM threads WHERE rollout_path = ? LIMIT 1',
      ),
      node: db.prepare<[string], NodeRow>('SELECT * FROM thread_nodes WHERE thread_id = ?'),
      children: db.prepare<[string], NodeRow>(
        'SELECT * FROM thread_nodes WHERE parent_thread_id = ? ORDER BY thread_id',
      ),
      // UNION (not UNION ALL) over the id alone: each node is visited once, so the recursion ends
      // even on a loop in the graph (a log written before loops were refused); the thread itself
      // is never its own descendant. At most MAX_TRAVERSAL rows.
      descendants: db.prepare<[string, string, number], NodeRow>(`WITH RECURSIVE sub(id) AS (
          SELECT thread_id FROM thread_nodes WHERE parent_thread_id = ?
          UNION SELECT n.thread_id FROM thread_nodes n JOIN sub ON n.parent_thread_id = sub.id)
        SELECT n.* FROM thread_nodes n JOIN sub ON n.thread_id = sub.id WHERE n.thread_id != ?
        ORDER BY n.depth, n.thread_id LIMIT ?`),
      name: db.prepare<[string], { name: string }>(
        'SELECT name FROM session_index WHERE thread_id = ?',
      ),
      deletion: db.prepare<[string], DeletionRow>('SELECT * FROM deletions WHERE thread_id = ?'),
      steps: db.prepare<[string], DeletionStepRow>(
        'SELECT * FROM deletion_steps WHERE thread_id = ? ORDER BY position',
      ),
      // Threads waiting on a retry come last, so that a batch full of them never starves the rest.
      pending: db.prepare<
        [number, number],
        { thread_id: string }
      >(`SELECT d.thread_id FROM deletions d
          LEFT JOIN thread_nodes n ON n.thread_id = d.thread_id
          WHERE d.status != 'deleted'
          ORDER BY (d.status = 'failing' AND d.next_retry_at > ?) ASC, COALESCE(n.depth, 1000000) DESC, d.thread_id LIMIT ?`),
      counts: db.prepare<[], { status: string; n: number }>(
        'SELECT status, COUNT(*) AS n FROM deletions GROUP BY status',
      ),
    };
  }

  thread(id: string): ThreadRow | null {
    return this.s.thread.get(id) ?? null;
  }
  /** The visible thread whose rollout is at this path now, if any. */
  rolloutOwner(path: string): string | null {
    return this.s.rolloutOwner.get(path)?.thread_id ?? null;
  }
  node(id: string): NodeRow | null {
    return this.s.node.get(id) ?? null;
  }
  children(id: string): NodeRow[] {
    return this.s.children.all(id);
  }
  descendants(id: string): NodeRow[] {
    return this.s.descendants.all(id, id, MAX_TRAVERSAL);
  }
  /**
   * Parent first, root last. Walked one node at a time with the nodes seen so far: a loop in the
   * graph ends the walk where it closes, and it stops after MAX_TRAVERSAL nodes in any case.
   */
  ancestors(id: string): NodeRow[] {
    const out: NodeRow[] = [];
    const seen = new Set<string>([id]);
    let parent = this.s.node.get(id)?.parent_thread_id ?? null;
    while (parent !== null && !seen.has(parent) && out.length < MAX_TRAVERSAL) {
      seen.add(parent);
      const node = this.s.node.get(parent);
      if (!node) break;
      out.push(node);
      parent = node.parent_thread_id;
    }
    return out;
  }
  sessionName(id: string): string | null {
    return this.s.name.get(id)?.name ?? null;
  }
  /** One thread's own deletion row and steps (the request's whole record: `deletionRequests`). */
  deletion(id: string): { record: DeletionRow; steps: DeletionStepRow[] } | null {
    const record = this.s.deletion.get(id);
    return record ? { record, steps: this.s.steps.all(id) } : null;
  }
  /** Threads whose deletion is not complete: those with a step due first, deepest first. */
  pendingDeletions(nowMs: number, limit = 100_000): string[] {
    return this.s.pending.all(nowMs, limit).map((r) => r.thread_id);
  }
  deletionCounts(): Record<string, number> {
    return Object.fromEntries(this.s.counts.all().map((r) => [r.status, r.n]));
  }
}
