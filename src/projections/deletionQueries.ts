import Database from 'better-sqlite3';
import type { DeletionRow, DeletionStepRow } from './readModelQueries.js';
import { cachedStatement } from './statementCache.js';

export type DeletionStatus = 'pending' | 'failing' | 'deleted';

/** One deletion request (a root's tombstone and its cascade), as the list and the record show it. */
export type DeletionRequestRow = {
  root_thread_id: string;
  status: DeletionStatus;
  reason: string | null;
  requested_by: string;
  request_id: string;
  requested_at: number;
  completed_at: number | null;
  pending_count: number;
  failing_count: number;
  deleted_count: number;
  steps_done: number;
  failures: number;
  last_error: string | null;
  updated_at: number;
  /** JSON: `[{ threadId, step }]`, the steps of its threads whose last attempt failed. */
  failing: string;
  /** The earliest retry due among its failing threads. */
  next_retry_at: number | null;
};

/** A thread of a request, with its place in the spawn graph. */
export type DeletionThreadRow = DeletionRow & {
  parent_thread_id: string | null;
  depth: number | null;
};

/** The whole record of one request: every thread, every step of each (in log order). */
export type DeletionRequestRecord = {
  request: DeletionRequestRow;
  threads: DeletionThreadRow[];
  steps: DeletionStepRow[];
};

/** Where a page starts: after this request, in the list's order (newest first). */
export type DeletionKey = { requestedAt: number; rootThreadId: string };

export type DeletionFilter = {
  readonly actor?: string | undefined;
  readonly status?: DeletionStatus | undefined;
  /** Requested at or after (epoch ms). */
  readonly since?: number | undefined;
  /** Requested at or before (epoch ms). */
  readonly until?: number | undefined;
  readonly after?: DeletionKey | undefined;
};

const REQUEST_COLUMNS = `r.*,
  (SELECT json_group_array(json(x)) FROM (
     SELECT json_object('threadId', f.thread_id, 'step', j.value) AS x
     FROM deletions f, json_each(f.failing) j
     WHERE f.root_thread_id = r.root_thread_id AND f.failing != '[]'
     ORDER BY f.thread_id, j.value)) AS failing,
  (SELECT MIN(f.next_retry_at) FROM deletions f
     WHERE f.root_thread_id = r.root_thread_id AND f.failing != '[]') AS next_retry_at`;

/** The list's query for the filters given: only their conditions, so each can use its index. */
const listSql = (f: DeletionFilter, limited: boolean): string => {
  const where = [
    f.actor !== undefined ? 'r.requested_by = @actor' : null,
    f.status !== undefined ? 'r.status = @status' : null,
    f.since !== undefined ? 'r.requested_at >= @since' : null,
    f.until !== undefined ? 'r.requested_at <= @until' : null,
    f.after !== undefined ? '(r.requested_at, r.root_thread_id) < (@afterAt, @afterId)' : null,
  ].filter((c) => c !== null);
  return `SELECT ${REQUEST_COLUMNS} FROM deletion_requests r
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.requested_at DESC, r.root_thread_id DESC${limited ? ' LIMIT @limit' : ''}`;
};

const paramsOf = (f: DeletionFilter, limit?: number): Record<string, unknown> => ({
  ...(f.actor !== undefined ? { actor: f.actor } : {}),
  ...(f.status !== undefined ? { status: f.status } : {}),
  ...(f.since !== undefined ? { since: f.since } : {}),
  ...(f.until !== undefined ? { until: f.until } : {}),
  ...(f.after !== undefined ? { afterAt: f.after.requestedAt, afterId: f.after.rootThreadId } : {}),
  ...(limit !== undefined ? { limit } : {}),
});

/**
 * The deletion records by request: the paged list (keyset, newest first), an export that walks
 * every matching request, and one request's whole record.
 */
export class DeletionQueries {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      rootOf: db.prepare<[string], { root_thread_id: string }>(
        'SELECT root_thread_id FROM deletions WHERE thread_id = ?',
      ),
      request: db.prepare<[string], DeletionRequestRow>(
        `SELECT ${REQUEST_COLUMNS} FROM deletion_requests r WHERE r.root_thread_id = ?`,
      ),
      threads: db.prepare<[string], DeletionThreadRow>(
        `SELECT d.*, n.parent_thread_id, n.depth FROM deletions d
         LEFT JOIN thread_nodes n ON n.thread_id = d.thread_id
         WHERE d.root_thread_id = ? ORDER BY COALESCE(n.depth, 0), d.requested_at, d.thread_id`,
      ),
      steps: db.prepare<[string], DeletionStepRow>(
        `SELECT s.* FROM deletion_steps s JOIN deletions d ON d.thread_id = s.thread_id
         WHERE d.root_thread_id = ? ORDER BY s.position`,
      ),
    };
  }

  /** The request a thread's deletion belongs to (the thread is its root or in its subtree). */
  record(threadId: string): DeletionRequestRecord | null {
    const root = this.s.rootOf.get(threadId)?.root_thread_id;
    const request = root === undefined ? undefined : this.s.request.get(root);
    if (root === undefined || !request) return null;
    return { request, threads: this.s.threads.all(root), steps: this.s.steps.all(root) };
  }

  /** One page of requests, newest first, `limit` at most. */
  page(f: DeletionFilter, limit: number): DeletionRequestRow[] {
    return cachedStatement<[object], DeletionRequestRow>(this.db, listSql(f, true)).all(
      paramsOf(f, limit),
    );
  }

  /**
   * Every request matching, newest first, one row at a time from an iterating statement, never
   * the whole result in memory. On a connection of its own, read-only: an open iterator keeps its
   * connection busy, and the read models' connection must keep folding the log meanwhile. The rows
   * are those of one snapshot of the read models. `close()` ends it early (always call it).
   */
  export(f: DeletionFilter, limit?: number): { rows: Iterable<DeletionRequestRow>; close(): void } {
    const conn = new Database(this.db.name, { readonly: true, fileMustExist: true });
    conn.pragma('busy_timeout = 10000');
    const rows = conn
      .prepare(listSql(f, limit !== undefined))
      .iterate(paramsOf(f, limit)) as IterableIterator<DeletionRequestRow>;
    let open = true;
    return {
      rows,
      close() {
        if (!open) return;
        open = false;
        rows.return?.();
        conn.close();
      },
    };
  }
}
