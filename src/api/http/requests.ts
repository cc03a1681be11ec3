import * as t from 'io-ts';
import { GitInfo, SourceKind, nullable } from '../../domain/events.js';
import { ThreadId } from '../../domain/ids.js';
import { EpochMs, FiniteNumber } from '../../domain/numbers.js';
import { ThreadListParams } from '../../projections/threadListQuery.js';

/** The request shapes of the HTTP API: the routes decode with these, the OpenAPI document is derived from them. */

export const ThreadIdPath = t.type({ id: ThreadId });

/**
 * A new thread. Omitted: a fresh UUIDv7 id, now as the creation time, source `appServer`.
 * `rolloutPath`: the thread's own rollout file (see domain/rolloutPath.ts for what is accepted).
 */
export const StartThreadBody = t.intersection([
  t.type({ cwd: t.string, modelProvider: t.string }),
  t.partial({
    threadId: ThreadId,
    name: t.string,
    preview: t.string,
    sourceKind: SourceKind,
    originator: t.string,
    cliVersion: t.string,
    gitInfo: GitInfo,
    createdAtMs: EpochMs,
    rolloutPath: t.string,
  }),
]);
export type StartThreadBody = t.TypeOf<typeof StartThreadBody>;

export const RenameBody = t.type({ name: t.string });

export const DeleteQuery = t.partial({
  reason: t.string,
  /** Wait up to this many milliseconds for the purge to complete (at most 30,000). */
  wait: t.Int,
});

/** Read-your-writes: wait (briefly) until the read models have reached this log position. */
export const Consistency = t.partial({ minPosition: t.string });

export const ListQuery = t.intersection([ThreadListParams, Consistency]);

export const DeletionsQuery = t.intersection([
  t.partial({ status: t.keyof({ pending: null, failing: null, deleted: null }), since: FiniteNumber, until: FiniteNumber, limit: t.Int }),
  Consistency,
]);

export { nullable };
