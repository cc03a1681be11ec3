import type { FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../../app/ledger.js';
import { allProjections } from '../../../projections/readModels.js';
import { rebuildProjections } from '../../../projections/rebuild.js';
import { metricsText, type RequestCounts } from '../metrics.js';
import * as R from '../responses.js';
import { type RouteSteps, routesOn } from '../route.js';

export type OperationsOptions = {
  readonly steps: RouteSteps;
  readonly requests: RequestCounts;
} & Pick<Ledger, 'store' | 'runner' | 'queries' | 'commands' | 'codec' | 'readDb'>;

/** Health, readiness, the OpenAPI document, metrics, and the rebuild of the read models. */
export const operations: FastifyPluginAsync<OperationsOptions> = async (app, opts) => {
  const { store, runner, queries } = opts;
  const route = routesOn(app, opts.steps);
  const tags = ['operations'];

  /** How far the read models are behind the head of the log, in log positions. */
  const projectionLag = async (): Promise<number> => {
    const head = await store.headPosition();
    return head === null ? 0 : Number(head - (runner.position() ?? 0n));
  };

  /** A route anyone may call: no token, no role. */
  const open = (summary: string, description: string, answers: Record<number, unknown>) => ({
    summary,
    description: `${description}\n\nNo token needed.`,
    tags,
    security: [],
    'x-roles': [],
    response: answers,
  });
  const json = (description: string, schema: Record<string, unknown>) => ({
    description,
    content: { 'application/json': { schema } },
  });
  const readiness = {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ready', 'catching-up'] },
      projectionLag: { type: 'integer', description: 'Log positions the read models are behind' },
      deletions: { type: 'object', description: 'Deletion records by status' },
    },
    required: ['status', 'projectionLag', 'deletions'],
  };

  const alive = open('Alive', 'The process answers.', {
    200: json('Alive', { type: 'object', properties: { status: { const: 'ok' } } }),
  });
  app.get('/healthz', { schema: alive }, async () => ({ status: 'ok' }));

  const ready = open(
    'Ready',
    'The store is reachable and the read models have caught up with the log.',
    {
      200: json('Ready', readiness),
      503: json('The read models are still catching up (`projectionLag` > 0)', readiness),
    },
  );
  app.get('/readyz', { schema: ready }, async (_req, reply) => {
    const lag = await projectionLag();
    const body = {
      status: lag === 0 ? 'ready' : 'catching-up',
      projectionLag: lag,
      deletions: queries.deletionCounts(),
    };
    return reply.code(lag === 0 ? 200 : 503).send(body);
  });

  const document = open('This OpenAPI document', 'The OpenAPI 3.1 document of the API.', {
    200: json('The document (browsable at `/docs`)', { type: 'object' }),
  });
  app.get('/openapi.json', { schema: document }, async () => app.swagger());

  route({
    method: 'GET',
    url: '/metrics',
    role: 'auditor',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition format (version 0.0.4): requests by route and status, ' +
      'commands by type and outcome, appends that lost a race to another writer, deletions by ' +
      'status, projection lag, unreadable sealed values.',
    tags,
    responses: {
      200: {
        mediaType: 'text/plain; version=0.0.4',
        description: 'Metrics, one sample a line (`thread_ledger_*`)',
        schema: { type: 'string' },
      },
    },
    handler: async () => {
      const deletions = queries.deletionCounts();
      const body = metricsText({ ...opts, deletions, projectionLag: await projectionLag() });
      return { status: 200, body, headers: { 'content-type': 'text/plain; version=0.0.4' } };
    },
  });

  route({
    method: 'POST',
    url: '/v1/admin/rebuild',
    role: 'admin',
    summary: 'Rebuild every read model from position 0',
    description:
      'Replays the whole log into fresh read models and swaps them in; queries keep working ' +
      'meanwhile. Answers how many events were applied and the position reached.',
    tags,
    responses: { 200: R.Rebuilt },
    handler: async () => {
      const r = await rebuildProjections(opts.readDb, store, opts.codec, allProjections);
      const position = r.position === null ? null : String(r.position);
      return { status: 200, body: { applied: r.applied, position } };
    },
  });
};
