import * as t from 'io-ts';
import { nullable, SourceKind } from '../../domain/events.js';
import { Consistency } from './consistency.js';
import { IsoTime } from './isoTime.js';
import { TimeParam } from './timeParam.js';

/**
 * The audit's catalog of threads (`GET /v1/audit/threads`): every thread ever started or
 * tombstoned, deleted ones included, and nothing of their content (no name, preview, cwd, rollout
 * path). The query and the answer (the mapping from the read
 * model's rows: auditThreadsOnWire.ts). Only io-ts and src/domain: the console derives its types
 * from these.
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
