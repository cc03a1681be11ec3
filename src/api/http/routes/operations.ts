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

  app.get('/healthz', { schema: { summary: 'Alive', tags } }, async () => ({ status: 'ok' }));

  const ready = { summary: 'Store reachable and read models caught up', tags };
  app.get('/readyz', { schema: ready }, async (_req, reply) => {
    const lag = await projectionLag();
    const body = {
      status: lag === 0 ? 'ready' : 'catching-up',
      projectionLag: lag,
      deletions: queries.deletionCounts(),
    };
    return reply.code(lag === 0 ? 200 : 503).send(body);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  route({
    method: 'GET',
    url: '/metrics',
    role: 'auditor',
    summary: 'Prometheus metrics',
    tags,
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
    summary: 'Rebuild every read model from position 0 (queries keep working)',
    tags,
    responses: { 200: R.Rebuilt },
    handler: async () => {
      const r = await rebuildProjections(opts.readDb, store, opts.codec, allProjections);
      const position = r.position === null ? null : String(r.position);
      return { status: 200, body: { applied: r.applied, position } };
    },
  });
};
