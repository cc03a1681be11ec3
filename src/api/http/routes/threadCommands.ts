import type { FastifyPluginAsync } from 'fastify';
import type { AwaitOptions, DeletionSettled } from '../../../app/deletion/awaitDeletion.js';
import type { Ledger } from '../../../app/ledger.js';
import { SPAWNED_SOURCE_KIND } from '../../../app/threadLifecycle.js';
import type { ThreadId } from '../../../domain/ids.js';
import { appliedOrThrow, invalid } from '../problem.js';
import { DeleteQuery, RenameBody, StartThreadBody, ThreadIdPath } from '../requests.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';
import { startedThread } from '../startedThread.js';

export type ThreadCommandsOptions = {
  readonly steps: RouteSteps;
  readonly lifecycle: Ledger['lifecycle'];
  /** Woken by a delete: the purge starts now, not at the worker's next turn. */
  readonly workerLoop: Pick<Ledger['workerLoop'], 'wake'>;
  /** For `?wait`: drives the purge until it is done, failing, or out of time. */
  readonly awaitDeletion: (
    threadIds: readonly ThreadId[],
    opts: AwaitOptions,
  ) => Promise<DeletionSettled>;
};

/** The longest `?wait` of a delete. */
const MAX_WAIT_MS = 30_000;

const position = (p: bigint | null) => (p === null ? null : String(p));

/** A keyed retry answered from the log says so, as one answered from `http.db` does. */
const replayHeader = (r: { replayed?: boolean }): Record<string, string> =>
  r.replayed ? { 'idempotent-replayed': 'true' } : {};

/** The thread commands of `/v1`: start, spawn, rename, archive, unarchive, delete. */
export const threadCommands: FastifyPluginAsync<ThreadCommandsOptions> = async (app, opts) => {
  const { steps, lifecycle } = opts;
  const route = routesOn(app, steps);
  const commands = { role: 'writer', tags: ['commands'], idempotent: true } as const;

  route({
    ...commands,
    method: 'POST',
    url: '/v1/threads',
    summary: 'Start a thread',
    description:
      'Records a new thread. Required: `cwd`, `modelProvider`. Omitted fields: a fresh UUIDv7 ' +
      'id (or, with an Idempotency-Key, one derived from the key), now as the creation time, ' +
      'source kind `appServer`. `createdAt`: ISO 8601 (`2026-11-29T22:57:25.123Z`; without an ' +
      'offset, UTC) or whole milliseconds since the epoch. ' +
      '`rolloutPath`: the thread’s own rollout file, inside the rollout roots. Answers its id ' +
      'and the log `position` (pass it as `?minPosition=` to a query to read your write).',
    problems: {
      409: 'A thread with this id already exists (`.../problems/thread-already-exists`)',
    },
    input: { body: StartThreadBody },
    responses: { 201: R.Started },
    handler: async ({ body, command, principal, idempotencyKey: key }) => {
      const thread = startedThread(body, { subject: principal.subject, key, now: steps.clock() });
      const r = appliedOrThrow(await lifecycle.start(thread, command));
      return {
        status: 201,
        body: { threadId: thread.threadId, position: position(r.position) },
        headers: { location: `/v1/threads/${thread.threadId}`, ...replayHeader(r) },
      };
    },
  });

  route({
    ...commands,
    method: 'POST',
    url: '/v1/threads/:id/subagents',
    summary: 'Spawn a subagent thread',
    description:
      'Starts a thread as a subagent of `{id}` (the spawn edge is recorded on the parent), with ' +
      'the body of a start. Answers the new id, its parent and the log `position`.',
    problems: {
      404: 'No thread `{id}` (`.../problems/thread-not-found`)',
      409: 'The parent is deleted or being deleted (`.../problems/parent-tombstoned`), or the id exists',
    },
    input: { params: ThreadIdPath, body: StartThreadBody },
    responses: { 201: R.Spawned },
    handler: async ({ params, body, command, principal, idempotencyKey: key }) => {
      const by = { subject: principal.subject, key, now: steps.clock() };
      const thread = startedThread(body, by, SPAWNED_SOURCE_KIND);
      const r = appliedOrThrow(await lifecycle.spawn(params.id, thread, command));
      const { threadId } = thread;
      return {
        status: 201,
        body: { threadId, parentThreadId: params.id, position: position(r.position) },
        headers: { location: `/v1/threads/${threadId}`, ...replayHeader(r) },
      };
    },
  });

  route({
    ...commands,
    method: 'POST',
    url: '/v1/threads/:id/name',
    summary: 'Rename a thread',
    description:
      'Sets the thread’s name: trimmed, not empty, at most 4,096 characters (else ' +
      '`400 .../problems/invalid-name`). The name is sealed with the thread’s key in the log: it ' +
      'is gone for good once the thread is deleted. The answer holds no content.',
    problems: {
      404: 'No thread `{id}` (`.../problems/thread-not-found`)',
      409: 'The thread is archived (`.../problems/thread-archived`)',
      410: 'The thread is deleted or being deleted (`.../problems/thread-tombstoned`)',
    },
    input: { params: ThreadIdPath, body: RenameBody },
    responses: { 200: R.Renamed },
    handler: async ({ params, body, command }) => {
      const r = appliedOrThrow(await lifecycle.rename(params.id, body.name, command));
      return {
        status: 200,
        body: { threadId: params.id, position: position(r.position) },
        headers: replayHeader(r),
      };
    },
  });

  for (const archive of [true, false]) {
    route({
      ...commands,
      method: 'POST',
      url: `/v1/threads/:id/${archive ? 'archive' : 'unarchive'}`,
      summary: `${archive ? 'Archive' : 'Unarchive'} a thread and its spawned descendants`,
      description:
        `${archive ? 'Archives' : 'Unarchives'} the thread and every thread spawned under it, ` +
        'in one change. Answers the ids it changed and the log `position`.',
      problems: {
        404: 'No thread `{id}` (`.../problems/thread-not-found`)',
        409: archive
          ? 'Already archived (`.../problems/already-archived`)'
          : 'Not archived (`.../problems/not-archived`)',
        410: 'The thread is deleted or being deleted (`.../problems/thread-tombstoned`)',
      },
      input: { params: ThreadIdPath },
      responses: { 200: R.Changed },
      handler: async ({ params, command }) => {
        const r = appliedOrThrow(
          archive
            ? await lifecycle.archive(params.id, command)
            : await lifecycle.unarchive(params.id, command),
        );
        return {
          status: 200,
          body: { threadIds: r.threadIds, position: position(r.position) },
          headers: replayHeader(r),
        };
      },
    });
  }

  route({
    ...commands,
    method: 'DELETE',
    url: '/v1/threads/:id',
    summary: 'Delete a thread and its subtree',
    description:
      'Tombstones the thread and every thread spawned under it (from then on they read as ' +
      '`410 Gone`), then purges their rollouts, Codex databases and content keys. `202` once ' +
      'the tombstones are committed, with the deletion (`id`, `threadIds` of the subtree, ' +
      '`status`) and `Location: /v1/deletions/{id}`. `?wait=ms` (at most 30,000) waits for the ' +
      'purge: `200` when done, else `202` with `status` `pending` or `failing` (a step failed and ' +
      'waits for its retry). `?reason=` is recorded with the request.',
    problems: {
      404: 'No thread `{id}` (`.../problems/thread-not-found`)',
      409: 'Already deleted (`.../problems/already-deleted`)',
    },
    input: { params: ThreadIdPath, query: DeleteQuery },
    responses: { 200: R.DeletionAccepted, 202: R.DeletionAccepted },
    handler: async ({ params, query, command }) => {
      const wait = query.wait ?? 0;
      if (wait < 0 || wait > MAX_WAIT_MS)
        throw invalid(`wait must be between 0 and ${MAX_WAIT_MS} ms, got ${wait}`, [
          { field: 'wait', reason: `must be between 0 and ${MAX_WAIT_MS}` },
        ]);
      const r = appliedOrThrow(await lifecycle.delete(params.id, query.reason ?? null, command));
      opts.workerLoop.wake();
      const { clock } = steps;
      const { status } =
        wait > 0
          ? await opts.awaitDeletion(r.threadIds, { giveUpAtMs: clock() + wait, clock })
          : { status: 'pending' as const };
      const deletion = {
        id: params.id,
        threadIds: r.threadIds,
        status,
        position: position(r.position),
      };
      return {
        status: status === 'deleted' ? 200 : 202,
        body: { deletion },
        headers: { location: `/v1/deletions/${params.id}`, ...replayHeader(r) },
      };
    },
  });
};
