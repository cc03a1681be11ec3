import Fastify, { type FastifyInstance } from 'fastify';
import type { Ledger } from '../app/ledger.js';

/**
 * The HTTP service. At this stage: liveness and readiness. The REST API, WebSocket JSON-RPC and
 * auth come with the HTTP issue.
 */
export const buildServer = (ledger: Ledger, opts: { logger?: boolean } = {}): FastifyInstance => {
  const app = Fastify({ logger: opts.logger ?? false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const head = await ledger.store.headPosition();
    const applied = ledger.runner.position();
    const lag = head === null ? 0 : Number(head - (applied ?? 0n));
    const pending = ledger.queries.deletionCounts();
    const body = { status: lag === 0 ? 'ready' : 'catching-up', projectionLag: lag, deletions: pending };
    return reply.code(lag === 0 ? 200 : 503).send(body);
  });
  return app;
};
