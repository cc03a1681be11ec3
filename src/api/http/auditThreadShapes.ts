import * as t from 'io-ts';
import { nullable, SourceKind } from '../../domain/events.js';
import type { CatalogKey, CatalogRow } from '../../projections/threadCatalogQuery.js';
import { IsoTime, isoTime } from './isoTime.js';
import { Consistency } from './requests.js';
import { TimeParam } from './timeParam.js';

/**
 * The audit's catalog of threads (`GET /v1/audit/threads`): every thread ever started or
 * tombstoned, deleted ones included, and nothing of their content (no name, preview, cwd, rollout
 * path). The query, the answer, and the one mapping from the read model's rows to it.
 */

const Status = t.keyof({ live: null, deleting: null, deleted: null });

/** Filters (lists comma-separated or repeated), a keyset cursor, a page size. */
export const AuditThreadsQuery = t.intersection([
  t.partial({
    sourceKinds: t.array(SourceKind),
    archived: t.boolean,
    status: t.array(Status),
    actor: t.string,
    since: TimeParam,
    until: TimeParam,
    limit: t.Int,
    cursor: t.string,
  }),
  Consistency,
]);

/** A thread's deletion: its request (root, who, why), this thread's tombstone, its completion. */
const ThreadDeletion = t.type({
  rootThreadId: t.string,
  /** Who asked for the request's deletion (the root's tombstone). */
  requestedBy: t.string,
  /** When this thread was tombstoned. */
  requestedAt: IsoTime,
  reason: nullable(t.string),
  /** Null while it is being deleted. */
  deletedAt: nullable(IsoTime),
});

export const AuditThread = t.type({
  id: t.string,
  parentThreadId: nullable(t.string),
  depth: nullable(t.Int),
  /** Null (as `createdAt`, `createdBy`) for a thread tombstoned before it ever started. */
  sourceKind: nullable(SourceKind),
  createdAt: nullable(IsoTime),
  /** Who started it: the actor of its `ThreadStarted`. */
  createdBy: nullable(t.string),
  archived: t.boolean,
  status: Status,
  deletion: nullable(ThreadDeletion),
});
export type AuditThread = t.OutputOf<typeof AuditThread>;

export const AuditThreads = t.type({
  threads: t.array(AuditThread),
  /** The cursor of the next page; null on the last. */
  nextCursor: nullable(t.string),
});

export const auditThreadOnWire = (r: CatalogRow): AuditThread => ({
  id: r.thread_id,
  parentThreadId: r.parent_thread_id,
  depth: r.depth,
  sourceKind: r.source_kind as AuditThread['sourceKind'],
  createdAt: r.created_at === null ? null : isoTime(r.created_at),
  createdBy: r.created_by,
  archived: r.archived === 1,
  status: r.status,
  deletion:
    r.root_thread_id === null || r.requested_by === null || r.requested_at === null
      ? null
      : {
          rootThreadId: r.root_thread_id,
          requestedBy: r.requested_by,
          requestedAt: isoTime(r.requested_at),
          reason: r.reason,
          deletedAt: r.deleted_at === null ? null : isoTime(r.deleted_at),
        },
});

/** A keyset cursor: where the next page starts, opaque to clients. */
export const catalogCursorOf = (r: CatalogRow): string =>
  Buffer.from(JSON.stringify([r.listed_at, r.thread_id])).toString('base64url');

export const catalogKeyOf = (cursor: string): CatalogKey | null => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [listedAt, threadId] = v as unknown[];
    if (!Number.isSafeInteger(listedAt) || typeof threadId !== 'string') return null;
    return { listedAt: listedAt as number, threadId };
  } catch {
    return null;
  }
};
