import type { FastifyPluginAsync } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type { Ledger } from '../../../app/ledger.js';
import { SourceKind } from '../../../domain/events.js';
import { listThreads } from '../../../projections/threadListQuery.js';
import { threadOnWire } from '../../appServer/threadWire.js';
import { invalid, problem } from '../problem.js';
import { readModelsAt } from '../readYourWrites.js';
import { Consistency, ListQuery, ThreadIdPath } from '../requests.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';

export type ThreadQueriesOptions = { readonly steps: RouteSteps } & Pick<
  Ledger,
  'readDb' | 'queries' | 'runner'
>;

/**
 * With no source kinds named (or an empty list), `/v1` lists threads of every kind: a service
 * finds the threads it started (`appServer`) and spawned (`subAgentThreadSpawn`). The
 * interactive-only default (`cli`, `vscode`) is Codex's `thread/list`'s, kept on the app-server.
 */
export const V1_DEFAULT_SOURCE_KINDS: readonly SourceKind[] = Object.keys(
  SourceKind.keys,
) as SourceKind[];

const notFound = (id: string) =>
  problem('thread-not-found', 404, 'Thread Not Found', `thread ${id} not found`);

/** The thread queries of `/v1`: the list, one thread, a subtree. */
export const threadQueries: FastifyPluginAsync<ThreadQueriesOptions> = async (app, opts) => {
  const { readDb, queries, runner } = opts;
  const route = routesOn(app, opts.steps);
  const reads = { role: ['writer', 'auditor'], tags: ['queries'] } as const;

  route({
    ...reads,
    method: 'GET',
    url: '/v1/threads',
    summary:
      'List threads: the filters, sorting and cursors of thread/list; every source kind unless sourceKinds names some',
    input: { query: ListQuery },
    responses: { 200: R.ThreadPage },
    handler: async ({ query }) => {
      await readModelsAt(runner, query.minPosition);
      const { minPosition: _, ...params } = query;
      const sourceKinds = params.sourceKinds?.length ? params.sourceKinds : V1_DEFAULT_SOURCE_KINDS;
      const page = listThreads(readDb, { ...params, sourceKinds });
      if (E.isLeft(page)) {
        const { message, field, reason } = page.left;
        throw invalid(message, field ? [{ field, reason: reason ?? message }] : []);
      }
      const { rows, nextCursor, backwardsCursor } = page.right;
      return { status: 200, body: { data: rows.map(threadOnWire), nextCursor, backwardsCursor } };
    },
  });

  route({
    ...reads,
    method: 'GET',
    url: '/v1/threads/:id',
    summary: 'One thread; 410 Gone, with when and by whom, once deleted',
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: R.OneThread },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const row = queries.thread(params.id);
      if (row) {
        const thread = { ...threadOnWire(row), archived: row.archived === 1 };
        return { status: 200, body: { thread } };
      }
      const d = queries.deletion(params.id);
      if (!d) throw notFound(params.id);
      const { status, requested_at, requested_by } = d.record;
      const being = status === 'deleted' ? 'deleted' : 'being deleted';
      throw problem('gone', 410, 'Thread deleted', `thread ${params.id} is ${being}`, {
        threadId: params.id,
        deletionRequestedAt: new Date(requested_at).toISOString(),
        deletionRequestedBy: requested_by,
        deletionStatus: status,
        deletion: `/v1/deletions/${params.id}`,
      });
    },
  });

  route({
    ...reads,
    method: 'GET',
    url: '/v1/threads/:id/subtree',
    summary: "A thread's ancestors and descendants (ids and status)",
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: R.Subtree },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const node = queries.node(params.id);
      if (!node) throw notFound(params.id);
      const ancestors = queries.ancestors(params.id);
      const descendants = queries.descendants(params.id);
      return { status: 200, body: { thread: node, ancestors, descendants } };
    },
  });
};
