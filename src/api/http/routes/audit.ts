import type { FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../../app/ledger.js';
import { streamOf } from '../../../domain/ids.js';
import { exportAnswers, exportFormatOf, streamExport } from '../deletionExport.js';
import * as D from '../deletionShapes.js';
import { cursorOf, keyOfCursor, recordOnWire, summaryOnWire } from '../deletionsOnWire.js';
import { isoTime } from '../isoTime.js';
import { invalid, problem } from '../problem.js';
import { readModelsAt } from '../readYourWrites.js';
import { Consistency, ThreadIdPath } from '../requests.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';

/** The most deletion requests one page of the JSON list holds (an export has no such bound). */
const MAX_PAGE = 1000;

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
  // A stopping server waits for its requests: an export whose client reads nothing ends then.
  const stopping = new AbortController();
  app.addHook('preClose', async () => stopping.abort());

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
    summary: 'Deletion records, one per request, newest first; paged, filtered, exported',
    description:
      'One record per deletion request (its root thread): status (the worst of its threads: ' +
      '`failing`, `pending`, `deleted`), who asked, why, when, progress. Filters: `actor`, ' +
      '`status`, `since`, `until` (ISO 8601 or epoch milliseconds); `limit` (1 to 1,000, 100 if ' +
      'omitted) and the keyset `cursor` of the previous page (`nextCursor`). Exported whole, ' +
      'streamed, as CSV or NDJSON: `Accept: text/csv` or `application/x-ndjson`, or ' +
      '`?format=csv|ndjson`.',
    input: { query: D.DeletionsQuery },
    responses: { 200: [D.Deletions, ...exportAnswers()] },
    handler: async ({ query, request }) => {
      await readModelsAt(runner, query.minPosition);
      const after = query.cursor === undefined ? undefined : keyOfCursor(query.cursor);
      if (after === null) {
        const reason = 'must be a nextCursor of this list';
        throw invalid(`cursor ${reason}`, [{ field: 'cursor', reason }]);
      }
      const { actor, status, since, until } = query;
      const filter = { actor, status, since, until, after };
      const format = exportFormatOf(query.format, request.headers.accept);
      const limit = query.limit ?? (format === null ? 100 : undefined);
      if (limit !== undefined && (limit < 1 || (format === null && limit > MAX_PAGE))) {
        const bounds = format === null ? `between 1 and ${MAX_PAGE}` : '1 or more';
        const reason = `must be ${bounds}, got ${limit}`;
        throw invalid(`limit ${reason}`, [{ field: 'limit', reason }]);
      }
      if (format !== null) {
        const { rows, close } = queries.deletionRequests.export(filter, limit);
        return { stream: streamExport(request, format, rows, close, stopping.signal) };
      }
      const pageSize = limit ?? 100;
      // One more than the page: whether another page follows.
      const page = queries.deletionRequests.page(filter, pageSize + 1);
      const rows = page.slice(0, pageSize);
      const nextCursor = page.length > pageSize ? cursorOf(rows[rows.length - 1]!) : null;
      return { status: 200, body: { data: rows.map(summaryOnWire), nextCursor } };
    },
  });

  route({
    ...audits,
    role: ['writer', 'auditor'],
    method: 'GET',
    url: '/v1/deletions/:id',
    summary: "One deletion request's whole record",
    description:
      'By its root thread or any thread of its subtree: every thread of the request with its ' +
      'status, every step (attempts, outcome, last error, next retry; a waived step with who ' +
      'and why), and the status of the request: the worst of its threads. `?minPosition=` ' +
      'waits for the read models.',
    problems: { 404: 'No deletion of that thread (`.../problems/deletion-not-found`)' },
    input: { params: ThreadIdPath, query: Consistency },
    responses: { 200: D.OneDeletion },
    handler: async ({ params, query }) => {
      await readModelsAt(runner, query.minPosition);
      const record = queries.deletionRequests.record(params.id);
      if (!record) {
        const detail = `no deletion of thread ${params.id}`;
        throw problem('deletion-not-found', 404, 'Deletion Not Found', detail);
      }
      return { status: 200, body: { deletion: recordOnWire(record) } };
    },
  });
};
