import type { FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../../app/ledger.js';
import { streamOf } from '../../../domain/ids.js';
import { isoTime } from '../isoTime.js';
import { invalid, problem } from '../problem.js';
import { readModelsAt } from '../readYourWrites.js';
import { Consistency, DeletionsQuery, ThreadIdPath } from '../requests.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';

export type AuditOptions = { readonly steps: RouteSteps } & Pick<
  Ledger,
  'store' | 'queries' | 'runner'
>;

/** When an event was appended, from its metadata's `recordedAtMs`. */
const recordedAtOf = (metadata: unknown): string | null => {
  const ms = (metadata as { recordedAtMs?: unknown } | null)?.recordedAtMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? isoTime(ms) : null;
};

/** The audit of `/v1`: a thread's history as recorded, the deletion records with every step. */
export const audit: FastifyPluginAsync<AuditOptions> = async (app, opts) => {
  const { store, queries, runner } = opts;
  const route = routesOn(app, opts.steps);
  const audits = { role: 'auditor', tags: ['audit'] } as const;

  route({
    ...audits,
    method: 'GET',
    url: '/v1/threads/:id/history',
    summary: "A thread's full history as recorded",
    description:
      'Every event of the thread’s stream, in order: its type, revision, log position, when it ' +
      'was recorded (`recordedAt`), and its `data` and `metadata` exactly as the log holds them ' +
      '(who: `actor`; which request: `requestId`). Content (names, previews) stays sealed: it ' +
      'reads as `{"sealed": "v1...."}`, and cannot be unsealed once the thread is deleted.',
    problems: { 404: 'The thread has no history (`.../problems/thread-not-found`)' },
    input: { params: ThreadIdPath },
    responses: { 200: R.History },
    handler: async ({ params }) => {
      const events = await store.readStream(streamOf(params.id));
      if (events.length === 0) {
        const detail = `thread ${params.id} has no history`;
        throw problem('thread-not-found', 404, 'Thread Not Found', detail);
      }
      const recorded = events.map(({ id, type, revision, position, data, metadata }) => ({
        id,
        type,
        revision: String(revision),
        position: String(position),
        recordedAt: recordedAtOf(metadata),
        data,
        metadata,
      }));
      return { status: 200, body: { threadId: params.id, events: recorded } };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/deletions',
    summary: 'Deletion records, newest first, by status and time',
    description:
      'One record per deleted (or being deleted) thread: its status (`pending`, `failing`, ' +
      '`deleted`), who asked, why, when, and its progress. Filters: `status`, `since`, `until`; ' +
      'at most `limit` records (1 to 1,000; 100 if omitted).',
    input: { query: DeletionsQuery },
    responses: { 200: R.Deletions },
    handler: async ({ query }) => {
      await readModelsAt(runner, query.minPosition);
      const limit = query.limit ?? 100;
      if (limit < 1 || limit > 1000)
        throw invalid(`limit must be between 1 and 1000, got ${limit}`);
      return { status: 200, body: { data: queries.deletions({ ...query, limit }) } };
    },
  });

  route({
    ...audits,
    role: ['writer', 'auditor'],
    method: 'GET',
    url: '/v1/deletions/:id',
    summary: 'One deletion with every step, attempt and failure',
    description:
      'The deletion record of thread `{id}` with every step of its purge, in order: each ' +
      'attempt, its outcome and the failure if any. `?minPosition=` waits for the read models.',
    problems: { 404: 'No deletion of that thread (`.../problems/deletion-not-found`)' },
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: R.OneDeletion },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const d = queries.deletion(params.id);
      if (!d) {
        const detail = `no deletion of thread ${params.id}`;
        throw problem('deletion-not-found', 404, 'Deletion Not Found', detail);
      }
      const deletion = {
        ...d.record,
        failing: JSON.parse(d.record.failing) as unknown,
        steps: d.steps.map((s) => ({ ...s, detail: JSON.parse(s.detail) as unknown })),
      };
      return { status: 200, body: { deletion } };
    },
  });
};
