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
    summary: 'Rename a thread (trimmed; not empty; not archived)',
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
    summary:
      'Delete a thread and its subtree: 202 once the tombstones are committed; ' +
      '?wait=ms waits for the purge',
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
