import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Ledger } from '../app/ledger.js';
import { jsonNestingDepth, MAX_REQUEST_DEPTH } from '../io/boundedJson.js';
import { KeyStoreUnavailableError } from '../io/keys/keyStore.js';
import { allProjections } from '../projections/readModels.js';
import { rebuildProjections } from '../projections/rebuild.js';
import { StoreUnavailableError } from '../store/eventStore.js';
import { Authenticator, type TokenConfig } from './http/auth.js';
import {
  clientErrorHandler,
  clientProblem,
  frameworkErrors,
  installEdges,
  MAX_HEADER_BYTES,
  onWsClientError,
} from './http/edges.js';
import { eventStreamRoute } from './http/eventStream.js';
import { IdempotencyStore } from './http/idempotencyStore.js';
import { ProblemError, problem, sendProblem } from './http/problem.js';
import { Rebuilt } from './http/responses.js';
import { defineRoute, type RouteDeps } from './http/route.js';
import { rpcSocketRoute } from './http/rpcSocket.js';
import { threadRoutes } from './http/threadRoutes.js';

export type ServerOptions = {
  readonly tokens?: readonly TokenConfig[];
  readonly logger?: boolean;
  /** Where the Idempotency-Key answers are kept (default: the ledger's data folder). */
  readonly dataDir: string;
  readonly bodyLimit?: number;
  readonly clock?: () => number;
  readonly version?: string;
  /** Requests per minute per bearer token (per address without one). */
  readonly rateLimitPerMinute?: number;
};

/**
 * The HTTP service: `/v1` commands and queries, audit, health, metrics and the OpenAPI document
 * (at /openapi.json, browsable at /docs), every error an RFC 9457 problem document.
 */
export const buildServer = async (
  ledger: Ledger,
  opts: ServerOptions,
): Promise<FastifyInstance> => {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    // The request id of the logs is the one recorded in every event's metadata.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // Open event streams and sockets end with the server instead of holding its close.
    forceCloseConnections: true,
    // A request that takes longer than this is cut: no client holds a connection forever.
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    // What Node and the router refuse before any route is answered as a problem too (edges.ts).
    clientErrorHandler,
    frameworkErrors,
    // A missing Host is refused by a hook, as a problem, not by Node with a bare 400.
    http: { requireHostHeader: false, maxHeaderSize: MAX_HEADER_BYTES },
  });
  // Bodies are JSON: anything else (fastify would also take text/plain) is 415.
  app.removeContentTypeParser('text/plain');
  // JSON bodies are measured before they are parsed: nested deeper than MAX_REQUEST_DEPTH, a body
  // is refused (400 `body-too-deep`) before anything recursive (a digest, a codec) can touch it.
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonNestingDepth(body as string, MAX_REQUEST_DEPTH) > MAX_REQUEST_DEPTH) {
      done(
        problem(
          'body-too-deep',
          400,
          'Body nested too deeply',
          `JSON nested deeper than ${MAX_REQUEST_DEPTH} levels is refused`,
        ),
        undefined,
      );
      return;
    }
    parseJson(req, body as string, done);
  });
  // Input is decoded by each route's io-ts codec; the JSON Schemas are for the documentation.
  app.setValidatorCompiler(() => () => true);
  // Answers are plain JSON: the response schemas document them, they do not reshape them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const auth = new Authenticator(opts.tokens ?? []);
  const routes = installEdges(app, { open: auth.open });
  const clock = opts.clock ?? Date.now;
  const idempotency = new IdempotencyStore(join(opts.dataDir, 'http.db'), { clock });
  const deps: RouteDeps = { auth, idempotency, clock };
  const counts = new Map<string, number>();

  await app.register(rateLimit, {
    max: opts.rateLimitPerMinute ?? 6000,
    timeWindow: 60_000,
    // Per authenticated subject, so one busy service cannot starve another; anything that does
    // not authenticate (no token, a made-up one, a malformed header) counts against its address.
    keyGenerator: (req) => {
      const subject = auth.subjectOf(req.headers.authorization);
      return subject === null ? `a:${req.ip}` : `s:${subject}`;
    },
    allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
    errorResponseBuilder: (_req, ctx) =>
      problem(
        'rate-limited',
        429,
        'Too many requests',
        `at most ${ctx.max} requests a minute per client (the subject of its token, or its address without a valid one); retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      ),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'thread-ledger',
        version: '1',
        description: 'Event-sourced lifecycle and durable deletion of agent threads.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const key = `${req.method} ${req.routeOptions.url ?? 'unmatched'} ${reply.statusCode}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  app.addHook('onClose', async () => idempotency.close());

  app.setErrorHandler((err: FastifyError | ProblemError, req, reply) => {
    if (err instanceof ProblemError) return sendProblem(reply, err.problem);
    const e = err as FastifyError;
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
      return sendProblem(reply, clientProblem(e).problem);
    if (err instanceof StoreUnavailableError || err instanceof KeyStoreUnavailableError) {
      req.log.warn(err);
      reply.header('retry-after', '1');
      // The cause (hosts, socket errors) goes to the log, not to the client.
      const what = err instanceof KeyStoreUnavailableError ? 'the key service' : 'the event store';
      return sendProblem(
        reply,
        problem(
          'unavailable',
          503,
          'Service unavailable',
          `${what} cannot be reached now; retry later`,
        ).problem,
      );
    }
    req.log.error(err);
    return sendProblem(
      reply,
      problem(
        'internal',
        500,
        'Internal error',
        'the server failed; the request id is in x-request-id',
      ).problem,
    );
  });
  app.setNotFoundHandler((req, reply) => {
    // A known path with another method is 405; a route that found nothing (a static file) is 404.
    const allowed = routes.allowed(req.url);
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problem(
          'method-not-allowed',
          405,
          'Method Not Allowed',
          `${req.method} is not allowed here; allowed: ${allowed.join(', ')}`,
        ).problem,
      );
    }
    return sendProblem(
      reply,
      problem('route-not-found', 404, 'No such route', `${req.method} ${req.url.slice(0, 200)}`)
        .problem,
    );
  });

  app.get('/healthz', { schema: { summary: 'Alive', tags: ['operations'] } }, async () => ({
    status: 'ok',
  }));
  /** How far the read models are behind the head of the log, in log positions (events, on the embedded store). */
  const projectionLag = async (): Promise<number> => {
    const head = await ledger.store.headPosition();
    return head === null ? 0 : Number(head - (ledger.runner.position() ?? 0n));
  };

  app.get(
    '/readyz',
    { schema: { summary: 'Store reachable and read models caught up', tags: ['operations'] } },
    async (_req, reply) => {
      const lag = await projectionLag();
      const body = {
        status: lag === 0 ? 'ready' : 'catching-up',
        projectionLag: lag,
        deletions: ledger.queries.deletionCounts(),
      };
      return reply.code(lag === 0 ? 200 : 503).send(body);
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  defineRoute(
    app,
    deps,
    {
      method: 'GET',
      url: '/metrics',
      role: 'admin',
      summary: 'Prometheus metrics',
      tags: ['operations'],
    },
    async () => {
      const deletions = ledger.queries.deletionCounts();
      const lines = [
        '# HELP thread_ledger_http_requests_total HTTP requests by method, route and status (commands are POST and DELETE; 409 is a conflict).',
        '# TYPE thread_ledger_http_requests_total counter',
        ...[...counts].map(([k, n]) => {
          const [method, route, status] = k.split(' ');
          return `thread_ledger_http_requests_total{method="${method}",route="${route}",status="${status}"} ${n}`;
        }),
        '# HELP thread_ledger_deletions Deletion records by status.',
        '# TYPE thread_ledger_deletions gauge',
        ...['pending', 'failing', 'deleted'].map(
          (s) => `thread_ledger_deletions{status="${s}"} ${deletions[s] ?? 0}`,
        ),
        '# HELP thread_ledger_projection_lag How far the read models are behind the log, in log positions (events, on the embedded store).',
        '# TYPE thread_ledger_projection_lag gauge',
        `thread_ledger_projection_lag ${await projectionLag()}`,
        '# HELP thread_ledger_commands_total Commands handled, by type and outcome (applied, unchanged, replayed, or the refusal).',
        '# TYPE thread_ledger_commands_total counter',
        ...ledger.commands.stats
          .entries()
          .map(
            ([type, outcome, n]) =>
              `thread_ledger_commands_total{type="${type}",outcome="${outcome}"} ${n}`,
          ),
        '# HELP thread_ledger_append_conflicts_total Appends that lost a race to another writer of the stream (then decided again).',
        '# TYPE thread_ledger_append_conflicts_total counter',
        `thread_ledger_append_conflicts_total ${ledger.commands.stats.conflicts}`,
        '# HELP thread_ledger_unreadable_content_total Sealed values that did not open under their thread key (a lost or wrong key store).',
        '# TYPE thread_ledger_unreadable_content_total counter',
        `thread_ledger_unreadable_content_total ${ledger.codec.unreadable}`,
      ];
      return {
        status: 200,
        body: `${lines.join('\n')}\n`,
        headers: { 'content-type': 'text/plain; version=0.0.4' },
      };
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'POST',
      url: '/v1/admin/rebuild',
      role: 'admin',
      summary: 'Rebuild every read model from position 0 (queries keep working)',
      tags: ['operations'],
      responses: { 200: Rebuilt },
    },
    async () => {
      const r = await rebuildProjections(ledger.readDb, ledger.store, ledger.codec, allProjections);
      return {
        status: 200,
        body: { applied: r.applied, position: r.position === null ? null : String(r.position) },
      };
    },
  );

  threadRoutes(app, deps, ledger);
  eventStreamRoute(app, deps, ledger);
  await rpcSocketRoute(app, deps, ledger, opts.version ?? 'dev');
  app.websocketServer.on('wsClientError', onWsClientError);
  return app;
};
