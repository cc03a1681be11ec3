import type Database from 'better-sqlite3';
import { cachedStatement } from './statementCache.js';

export type CatalogStatus = 'live' | 'deleting' | 'deleted';

/**
 * One thread of the catalog. `parent_thread_id`, `depth`: from the spawn graph when the thread
 * was never started (its edge is all there is of it).
 */
export type CatalogRow = {
  thread_id: string;
  parent_thread_id: string | null;
  depth: number | null;
  source_kind: string | null;
  created_at: number | null;
  created_by: string | null;
  listed_at: number;
  archived: 0 | 1;
  status: CatalogStatus;
  root_thread_id: string | null;
  requested_by: string | null;
  requested_at: number | null;
  reason: string | null;
  deleted_at: number | null;
};

/** Where a page starts: after this thread, in the catalog's order (newest first). */
export type CatalogKey = { listedAt: number; threadId: string };

export type CatalogFilter = {
  readonly sourceKinds?: readonly string[] | undefined;
  readonly archived?: boolean | undefined;
  readonly statuses?: readonly CatalogStatus[] | undefined;
  /** Started the thread, or asked for its deletion. */
  readonly actor?: string | undefined;
  /** Created at or after (epoch ms). */
  readonly since?: number | undefined;
  /** Created at or before (epoch ms), as the deletion list's `until`. */
  readonly until?: number | undefined;
  readonly after?: CatalogKey | undefined;
};

/** The list's query for the filters given: only their conditions, so each can use its index. */
const pageSql = (f: CatalogFilter): string => {
  const where = [
    f.sourceKinds?.length ? 'c.source_kind IN (SELECT value FROM json_each(@sourceKinds))' : null,
    f.archived !== undefined ? 'c.archived = @archived' : null,
    f.statuses?.length ? 'c.status IN (SELECT value FROM json_each(@statuses))' : null,
    f.actor !== undefined ? '(c.created_by = @actor OR c.requested_by = @actor)' : null,
    f.since !== undefined ? 'c.listed_at >= @since' : null,
    f.until !== undefined ? 'c.listed_at <= @until' : null,
    f.after !== undefined ? '(c.listed_at, c.thread_id) < (@afterAt, @afterId)' : null,
  ].filter((c) => c !== null);
  return `SELECT c.thread_id, COALESCE(c.parent_thread_id, n.parent_thread_id) AS parent_thread_id,
      COALESCE(c.depth, n.depth) AS depth, c.source_kind, c.created_at, c.created_by, c.listed_at,
      c.archived, c.status, c.root_thread_id, c.requested_by, c.requested_at, c.reason, c.deleted_at
    FROM thread_catalog c LEFT JOIN thread_nodes n ON c.created_at IS NULL AND n.thread_id = c.thread_id
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY c.listed_at DESC, c.thread_id DESC LIMIT @limit`;
};

const paramsOf = (f: CatalogFilter, limit: number): Record<string, unknown> => ({
  ...(f.sourceKinds?.length ? { sourceKinds: JSON.stringify(f.sourceKinds) } : {}),
  ...(f.archived !== undefined ? { archived: f.archived ? 1 : 0 } : {}),
  ...(f.statuses?.length ? { statuses: JSON.stringify(f.statuses) } : {}),
  ...(f.actor !== undefined ? { actor: f.actor } : {}),
  ...(f.since !== undefined ? { since: f.since } : {}),
  ...(f.until !== undefined ? { until: f.until } : {}),
  ...(f.after !== undefined ? { afterAt: f.after.listedAt, afterId: f.after.threadId } : {}),
  limit,
});

/** The catalog of every thread, deleted ones included: keyset pages, newest first. */
export class ThreadCatalogQueries {
  constructor(private readonly db: Database.Database) {}

  /** One page of threads, newest first, `limit` at most. */
  page(f: CatalogFilter, limit: number): CatalogRow[] {
    return cachedStatement<[object], CatalogRow>(this.db, pageSql(f)).all(paramsOf(f, limit));
  }
}
