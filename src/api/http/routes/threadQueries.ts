import type { FastifyPluginAsync } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type { Ledger } from '../../../app/ledger.js';
import { SourceKind } from '../../../domain/events.js';
import { listThreads } from '../../../projections/threadListQuery.js';
import { isoTime } from '../isoTime.js';
import { invalid, problem } from '../problem.js';
import { readModelsAt } from '../readYourWrites.js';
import { CODEX_SORT_KEY, Consistency, ListQuery, ThreadIdPath } from '../requests.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';
import { nodeOnV1, threadOnV1 } from '../threadAnswers.js';

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
    summary: 'List threads',
    description:
      'A page of threads of every source kind unless `sourceKinds` names some (deleted ones never appear), with the filters, sorting and cursors of ' +
      'Codex’s `thread/list` as query parameters: lists comma-separated or repeated ' +
      '(`sourceKinds=cli,appServer`). `nextCursor` pages on; `backwardsCursor` (with the ' +
      'opposite `sortDirection`) pages back. `sortKey`: `createdAt` (the default) or `updatedAt`. ' +
      '`?minPosition=` waits (up to 2 s, else `503`) ' +
      'until the read models have reached that log position.',
    input: { query: ListQuery },
    responses: { 200: R.ThreadPage },
    handler: async ({ query }) => {
      await readModelsAt(runner, query.minPosition);
      const { minPosition: _, sortKey, ...params } = query;
      const sourceKinds = params.sourceKinds?.length ? params.sourceKinds : V1_DEFAULT_SOURCE_KINDS;
      const page = listThreads(readDb, {
        ...params,
        sourceKinds,
        ...(sortKey ? { sortKey: CODEX_SORT_KEY[sortKey] } : {}),
      });
      if (E.isLeft(page)) {
        // The query's words name sort keys as Codex does; /v1 names them as its answers do.
        const v1 = (text: string) => text.replace(/\b(created|updated)_at\b/g, '$1At');
        const { message, field, reason } = page.left;
        throw invalid(v1(message), field ? [{ field, reason: v1(reason ?? message) }] : []);
      }
      const { rows, nextCursor, backwardsCursor } = page.right;
      return { status: 200, body: { data: rows.map(threadOnV1), nextCursor, backwardsCursor } };
    },
  });

  route({
    ...reads,
    method: 'GET',
    url: '/v1/threads/:id',
    summary: 'One thread',
    description:
      'The thread as the read models hold it. Once deleted (or being deleted) it is `410 Gone`: ' +
      'a problem document with the deletion’s status, when and by whom it was requested, and ' +
      'the link to its record, and nothing of the thread’s content. `?minPosition=` as for the list.',
    problems: {
      404: 'No thread `{id}` (`.../problems/thread-not-found`)',
      410: {
        description: 'The thread is deleted or being deleted (`.../problems/gone`)',
        codec: R.Gone,
      },
    },
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: R.OneThread },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const row = queries.thread(params.id);
      if (row) return { status: 200, body: { thread: threadOnV1(row) } };
      const d = queries.deletion(params.id);
      if (!d) throw notFound(params.id);
      const { status, requested_at, requested_by, completed_at } = d.record;
      const being = status === 'deleted' ? 'deleted' : 'being deleted';
      // The deletion's facts under the names its record has: no content of the thread.
      throw problem('gone', 410, 'Thread deleted', `thread ${params.id} is ${being}`, {
        threadId: params.id,
        deletion: {
          status,
          requestedAt: isoTime(requested_at),
          requestedBy: requested_by,
          completedAt: completed_at === null ? null : isoTime(completed_at),
          href: `/v1/deletions/${params.id}`,
        },
      });
    },
  });

  route({
    ...reads,
    method: 'GET',
    url: '/v1/threads/:id/subtree',
    summary: "A thread's ancestors and descendants",
    description:
      'The spawn graph around the thread: its node, its ancestors (nearest first) and every ' +
      'descendant, each with its id, parent, depth and lifecycle status (`spawning`, `live`, ' +
      '`deleting`, `deleted`). Ids only: deleted threads keep their node, no content.',
    problems: { 404: 'No thread `{id}` (`.../problems/thread-not-found`)' },
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: R.Subtree },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const node = queries.node(params.id);
      if (!node) throw notFound(params.id);
      const ancestors = queries.ancestors(params.id).map(nodeOnV1);
      const descendants = queries.descendants(params.id).map(nodeOnV1);
      return { status: 200, body: { thread: nodeOnV1(node), ancestors, descendants } };
    },
  });
};
