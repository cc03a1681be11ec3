import type { FastifyInstance } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import { awaitDeletion } from '../../app/deletion/awaitDeletion.js';
import type { Ledger } from '../../app/ledger.js';
import type { ThreadStarted as Started } from '../../domain/events.js';
import { streamOf } from '../../domain/ids.js';
import { listThreads } from '../../projections/threadListQuery.js';
import { threadOnWire } from '../appServer/threadWire.js';
import { threadIdForKey } from './keyedThreadId.js';
import { fromHandleError, invalid, problem } from './problem.js';
import {
  Consistency,
  DeleteQuery,
  DeletionsQuery,
  ListQuery,
  RenameBody,
  StartThreadBody,
  ThreadIdPath,
} from './requests.js';
import * as R from './responses.js';
import { defineRoute, type RouteDeps } from './route.js';
import { startedFrom } from './startedFrom.js';

const MAX_WAIT_MS = 30_000;
const CATCH_UP_MS = 2_000;

const pos = (p: bigint | null) => (p === null ? null : String(p));

/** A keyed retry answered from the log says so, as one answered from `http.db` does. */
const replayHeader = (r: { replayed?: boolean }): Record<string, string> =>
  r.replayed ? { 'idempotent-replayed': 'true' } : {};

/** The thread commands and queries of `/v1`. */
export const threadRoutes = (app: FastifyInstance, deps: RouteDeps, ledger: Ledger): void => {
  const { lifecycle, queries, runner } = ledger;

  /** Read-your-writes: wait, briefly, for the read models to reach a position the caller names. */
  const caughtUp = async (minPosition: string | undefined) => {
    if (minPosition === undefined) return;
    if (!/^\d+$/.test(minPosition))
      throw invalid(`minPosition must be a log position (digits), got "${minPosition}"`);
    const reached = await Promise.race([
      runner.waitFor(BigInt(minPosition)).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), CATCH_UP_MS)),
    ]);
    if (!reached)
      throw problem(
        'not-caught-up',
        503,
        'Read models behind',
        `the read models have not reached position ${minPosition} yet`,
      );
  };

  const ok = <A>(r: E.Either<Parameters<typeof fromHandleError>[0], A>): A => {
    if (E.isLeft(r)) throw fromHandleError(r.left);
    return r.right;
  };

  /**
   * Starts (and spawns) sent with an Idempotency-Key and no threadId get an id derived from the
   * key: a retry, on any instance, after any crash, names the same stream, and finds there that
   * it was done (the key is recorded with the events).
   */
  const threadOf = (
    body: StartThreadBody,
    principal: { subject: string },
    key: string | null,
  ): Started =>
    startedFrom(
      body,
      deps.clock(),
      body.threadId === undefined && key !== null ? threadIdForKey(principal.subject, key) : null,
    );

  defineRoute(
    app,
    deps,
    {
      method: 'POST',
      url: '/v1/threads',
      role: 'writer',
      summary: 'Start a thread',
      tags: ['commands'],
      body: StartThreadBody,
      idempotent: true,
      responses: { 201: R.Started },
    },
    async ({ body, command, principal, idempotencyKey }) => {
      const thread = threadOf(body, principal, idempotencyKey);
      const r = ok(await lifecycle.start(thread, command));
      return {
        status: 201,
        body: { threadId: thread.threadId, position: pos(r.position) },
        headers: { location: `/v1/threads/${thread.threadId}`, ...replayHeader(r) },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'POST',
      url: '/v1/threads/:id/subagents',
      role: 'writer',
      summary: 'Spawn a subagent thread',
      tags: ['commands'],
      params: ThreadIdPath,
      body: StartThreadBody,
      idempotent: true,
      responses: { 201: R.Spawned },
    },
    async ({ params, body, command, principal, idempotencyKey }) => {
      const thread = threadOf(body, principal, idempotencyKey);
      const r = ok(await lifecycle.spawn(params.id, thread, command));
      return {
        status: 201,
        body: { threadId: thread.threadId, parentThreadId: params.id, position: pos(r.position) },
        headers: { location: `/v1/threads/${thread.threadId}`, ...replayHeader(r) },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'POST',
      url: '/v1/threads/:id/name',
      role: 'writer',
      summary: 'Rename a thread (trimmed; not empty; not archived)',
      tags: ['commands'],
      params: ThreadIdPath,
      body: RenameBody,
      idempotent: true,
      responses: { 200: R.Renamed },
    },
    async ({ params, body, command }) => {
      const r = ok(await lifecycle.rename(params.id, body.name, command));
      return {
        status: 200,
        body: { threadId: params.id, position: pos(r.position) },
        headers: replayHeader(r),
      };
    },
  );

  for (const [verb, archive] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    defineRoute(
      app,
      deps,
      {
        method: 'POST',
        url: `/v1/threads/:id/${verb}`,
        role: 'writer',
        summary: `${archive ? 'Archive' : 'Unarchive'} a thread and its spawned descendants`,
        tags: ['commands'],
        params: ThreadIdPath,
        idempotent: true,
        responses: { 200: R.Changed },
      },
      async ({ params, command }) => {
        const r = ok(
          archive
            ? await lifecycle.archive(params.id, command)
            : await lifecycle.unarchive(params.id, command),
        );
        return {
          status: 200,
          body: { threadIds: r.threadIds, position: pos(r.position) },
          headers: replayHeader(r),
        };
      },
    );
  }

  defineRoute(
    app,
    deps,
    {
      method: 'DELETE',
      url: '/v1/threads/:id',
      role: 'writer',
      summary:
        'Delete a thread and its subtree: 202 once the tombstones are committed; ?wait=ms waits for the purge',
      tags: ['commands'],
      params: ThreadIdPath,
      query: DeleteQuery,
      idempotent: true,
      responses: { 200: R.DeletionAccepted, 202: R.DeletionAccepted },
    },
    async ({ params, query, command }) => {
      const wait = query.wait ?? 0;
      if (wait < 0 || wait > MAX_WAIT_MS)
        throw invalid(`wait must be between 0 and ${MAX_WAIT_MS} ms, got ${wait}`, [
          { field: 'wait', reason: `must be between 0 and ${MAX_WAIT_MS}` },
        ]);
      const r = ok(await lifecycle.delete(params.id, query.reason ?? null, command));
      ledger.workerLoop.wake();
      const status =
        wait > 0
          ? (
              await awaitDeletion(ledger, r.threadIds, {
                giveUpAtMs: deps.clock() + wait,
                clock: deps.clock,
              })
            ).status
          : 'pending';
      const body = {
        deletion: { id: params.id, threadIds: r.threadIds, status, position: pos(r.position) },
      };
      return {
        status: status === 'deleted' ? 200 : 202,
        body,
        headers: { location: `/v1/deletions/${params.id}`, ...replayHeader(r) },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/threads',
      role: 'auditor',
      summary: 'List threads: the filters, sorting and cursors of thread/list',
      tags: ['queries'],
      query: ListQuery,
      responses: { 200: R.ThreadPage },
    },
    async ({ query }) => {
      await caughtUp(query.minPosition);
      const { minPosition: _, ...params } = query;
      const page = listThreads(ledger.readDb, params);
      if (E.isLeft(page))
        throw invalid(
          page.left.message,
          page.left.field
            ? [{ field: page.left.field, reason: page.left.reason ?? page.left.message }]
            : [],
        );
      return {
        status: 200,
        body: {
          data: page.right.rows.map(threadOnWire),
          nextCursor: page.right.nextCursor,
          backwardsCursor: page.right.backwardsCursor,
        },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/threads/:id',
      role: 'auditor',
      summary: 'One thread; 410 Gone, with when and by whom, once deleted',
      tags: ['queries'],
      params: ThreadIdPath,
      query: Consistency,
      responses: { 200: R.OneThread },
    },
    async ({ params, query }) => {
      await caughtUp(query.minPosition);
      const row = queries.thread(params.id);
      if (row)
        return {
          status: 200,
          body: { thread: { ...threadOnWire(row), archived: row.archived === 1 } },
        };
      const d = queries.deletion(params.id);
      if (d) {
        throw problem(
          'gone',
          410,
          'Thread deleted',
          `thread ${params.id} is ${d.record.status === 'deleted' ? 'deleted' : 'being deleted'}`,
          {
            threadId: params.id,
            deletionRequestedAt: new Date(d.record.requested_at).toISOString(),
            deletionRequestedBy: d.record.requested_by,
            deletionStatus: d.record.status,
            deletion: `/v1/deletions/${params.id}`,
          },
        );
      }
      throw problem('thread-not-found', 404, 'Thread Not Found', `thread ${params.id} not found`);
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/threads/:id/subtree',
      role: 'auditor',
      summary: "A thread's ancestors and descendants (ids and status)",
      tags: ['queries'],
      params: ThreadIdPath,
      responses: { 200: R.Subtree },
    },
    async ({ params }) => {
      const node = queries.node(params.id);
      if (!node)
        throw problem('thread-not-found', 404, 'Thread Not Found', `thread ${params.id} not found`);
      return {
        status: 200,
        body: {
          thread: node,
          ancestors: queries.ancestors(params.id),
          descendants: queries.descendants(params.id),
        },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/threads/:id/history',
      role: 'auditor',
      summary: "A thread's full history as recorded; sealed content stays sealed",
      tags: ['audit'],
      params: ThreadIdPath,
      responses: { 200: R.History },
    },
    async ({ params }) => {
      const events = await ledger.store.readStream(streamOf(params.id));
      if (events.length === 0)
        throw problem(
          'thread-not-found',
          404,
          'Thread Not Found',
          `thread ${params.id} has no history`,
        );
      return {
        status: 200,
        body: {
          threadId: params.id,
          events: events.map((e) => ({
            id: e.id,
            type: e.type,
            revision: String(e.revision),
            position: String(e.position),
            data: e.data,
            metadata: e.metadata,
          })),
        },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/deletions',
      role: 'auditor',
      summary: 'Deletion records, newest first, by status and time',
      tags: ['audit'],
      query: DeletionsQuery,
      responses: { 200: R.Deletions },
    },
    async ({ query }) => {
      await caughtUp(query.minPosition);
      const limit = query.limit ?? 100;
      if (limit < 1 || limit > 1000)
        throw invalid(`limit must be between 1 and 1000, got ${limit}`);
      return { status: 200, body: { data: queries.deletions({ ...query, limit }) } };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/v1/deletions/:id',
      role: 'auditor',
      summary: 'One deletion with every step, attempt and failure',
      tags: ['audit'],
      params: ThreadIdPath,
      query: Consistency,
      responses: { 200: R.OneDeletion },
    },
    async ({ params, query }) => {
      await caughtUp(query.minPosition);
      const d = queries.deletion(params.id);
      if (!d)
        throw problem(
          'deletion-not-found',
          404,
          'Deletion Not Found',
          `no deletion of thread ${params.id}`,
        );
      return {
        status: 200,
        body: {
          deletion: {
            ...d.record,
            failing: JSON.parse(d.record.failing) as unknown,
            steps: d.steps.map((s) => ({ ...s, detail: JSON.parse(s.detail) as unknown })),
          },
        },
      };
    },
  );
};
