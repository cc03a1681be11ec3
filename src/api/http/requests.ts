import * as t from 'io-ts';
import { GitInfo, nullable, SourceKind } from '../../domain/events.js';
import { ThreadId } from '../../domain/ids.js';
import { ThreadListParams } from '../../projections/threadListQuery.js';
import { Consistency } from './consistency.js';
import { TimeParam } from './timeParam.js';

/**
 * The request shapes of the HTTP API: the routes decode with these, the OpenAPI document is
 * derived from them. Bodies are exact at every depth (`t.exact`): a field a shape does not name
 * is refused (400 naming it), never carried into an event, where it would be stored unsealed
 * and outlive a deletion.
 */

/**
 * An intersection of exact shapes decodes to the fields of its members and no others (each
 * member keeps its own; io-ts merges them). Exact members, rather than an exact intersection,
 * keep the members out of the field paths of errors.
 */

/** The git facts of a thread, exactly: `sha`, `branch`, `originUrl`, nothing else. */
export const GitInfoBody = t.exact(GitInfo);

export const ThreadIdPath = t.type({ id: ThreadId });

/**
 * A new thread. Omitted: a fresh UUIDv7 id, now as the creation time, source `appServer`.
 * `createdAt`: ISO 8601 or epoch milliseconds (`TimeParam`, as every time `/v1` takes), the name
 * the answers give it. `rolloutPath`: the thread's own rollout file (see domain/rolloutPath.ts
 * for what is accepted).
 */
export const StartThreadBody = t.intersection([
  t.exact(t.type({ cwd: t.string, modelProvider: t.string })),
  t.exact(
    t.partial({
      threadId: ThreadId,
      name: t.string,
      preview: t.string,
      sourceKind: SourceKind,
      originator: t.string,
      cliVersion: t.string,
      gitInfo: GitInfoBody,
      createdAt: TimeParam,
      rolloutPath: t.string,
    }),
  ),
]);
export type StartThreadBody = t.TypeOf<typeof StartThreadBody>;

export const RenameBody = t.exact(t.type({ name: t.string }));

export const DeleteQuery = t.partial({
  reason: t.string,
  /** Wait up to this many milliseconds for the purge to complete (at most 30,000). */
  wait: t.Int,
});

export { Consistency };

/**
 * `/v1`'s sort keys: the names its answers use (`createdAt`, `updatedAt`). Codex's `thread/list`
 * keeps its own (`created_at`, `updated_at`); the route maps one onto the other.
 */
export const V1SortKey = t.keyof({ createdAt: null, updatedAt: null });
export type V1SortKey = t.TypeOf<typeof V1SortKey>;
export const CODEX_SORT_KEY = { createdAt: 'created_at', updatedAt: 'updated_at' } as const;

const { sortKey: _codexSortKey, ...listParams } = ThreadListParams.props;

/** The thread list of `/v1`: `thread/list`'s parameters, with `/v1`'s sort keys. */
export const ListQuery = t.intersection([
  t.partial({ ...listParams, sortKey: nullable(V1SortKey) }),
  Consistency,
]);

export { nullable };
