import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { type AwaitOptions, awaitDeletion } from '../app/deletion/awaitDeletion.js';
import type { Ledger } from '../app/ledger.js';
import type { ThreadId } from '../domain/ids.js';
import { MAX_MESSAGE_BYTES } from '../io/boundedJson.js';
import { Authenticator, type TokenConfig } from './http/auth.js';
import {
  clientErrorHandler,
  frameworkErrors,
  installEdges,
  MAX_HEADER_BYTES,
  onWsClientError,
} from './http/edges.js';
import { errorAnswer, notFoundAnswer } from './http/errorAnswers.js';
import { IdempotencyStore } from './http/idempotencyStore.js';
import { acceptJsonBodies } from './http/jsonBodies.js';
import { RequestCounts } from './http/metrics.js';
import { OPENAPI_DEFINITION } from './http/openApiDocument.js';
import { rateLimits } from './http/rateLimits.js';
import type { RouteSteps } from './http/route.js';
import { audit } from './http/routes/audit.js';
import { auditOverview } from './http/routes/auditOverview.js';
import { reviewerConsole } from './http/routes/console.js';
import { deletionWaivers } from './http/routes/deletionWaivers.js';
import { eventStream } from './http/routes/eventStream.js';
import { evidence } from './http/routes/evidence.js';
import { operations } from './http/routes/operations.js';
import { rpcSocket } from './http/routes/rpcSocket.js';
import { threadCommands } from './http/routes/threadCommands.js';
import { threadQueries } from './http/routes/threadQueries.js';

/** The WebSocket close code of a server that stops (RFC 6455 7.4.1). */
const GOING_AWAY = 1001;

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
  /** The built reviewer console (default: dist/console of the package). */
  readonly consoleDir?: string;
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
    // At close: idle connections are closed, requests in flight are finished; the event streams
    // and the WebSockets are ended by their routes first (eventStream.ts, rpcSocket.ts).
    forceCloseConnections: 'idle',
    // A request that takes longer than this is cut: no client holds a connection forever.
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    // What Node and the router refuse before any route is answered as a problem too (edges.ts).
    clientErrorHandler,
    frameworkErrors,
    // A missing Host is refused by a hook, as a problem, not by Node with a bare 400.
    http: { requireHostHeader: false, maxHeaderSize: MAX_HEADER_BYTES },
  });
  acceptJsonBodies(app);
  // Input is decoded by each route's io-ts codec; the JSON Schemas are for the documentation.
  app.setValidatorCompiler(() => () => true);
  // Answers are plain JSON: the response schemas document them, they do not reshape them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const auth = new Authenticator(opts.tokens ?? []);
  const routes = installEdges(app, { open: auth.open });
  const clock = opts.clock ?? Date.now;
  const idempotency = new IdempotencyStore(join(opts.dataDir, 'http.db'), { clock });
  const requests = new RequestCounts();

  await app.register(rateLimit, rateLimits(auth, opts.rateLimitPerMinute ?? 6000));
  await app.register(swagger, { openapi: OPENAPI_DEFINITION });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', requests.count);
  app.addHook('onClose', async () => idempotency.close());

  app.setErrorHandler(errorAnswer);
  app.setNotFoundHandler(notFoundAnswer(routes));

  // Each plugin declares its routes, given what they use of the ledger. In this order: that of
  // the OpenAPI document's paths.
  const steps: RouteSteps = { auth, idempotency, clock };
  const { lifecycle, workerLoop, readDb, queries, runner, store, commands, codec } = ledger;
  await app.register(operations, {
    steps,
    requests,
    store,
    runner,
    queries,
    commands,
    codec,
    readDb,
  });
  const settle = (ids: readonly ThreadId[], o: AwaitOptions) => awaitDeletion(ledger, ids, o);
  await app.register(threadCommands, { steps, lifecycle, workerLoop, awaitDeletion: settle });
  await app.register(threadQueries, { steps, readDb, queries, runner });
  await app.register(audit, { steps, store, queries, runner });
  await app.register(auditOverview, { steps, queries, runner });
  await app.register(deletionWaivers, { steps, commands, workerLoop });
  await app.register(eventStream, { steps, store });
  await app.register(evidence, { steps, evidence: ledger.evidence, store, runner });
  await app.register(reviewerConsole, { dir: opts.consoleDir });
  // At the root: every upgrade request, whatever its path, has its socket closed once answered.
  await app.register(websocket, {
    options: { maxPayload: MAX_MESSAGE_BYTES },
    // At close, every socket is told the server is going away (1001), not closed without a code.
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients)
        client.close(GOING_AWAY, 'server stopping');
      this.websocketServer.close();
      done();
    },
  });
  app.websocketServer.on('wsClientError', onWsClientError);
  await app.register(rpcSocket, { auth, ledger, version: opts.version ?? 'dev' });
  return app;
};
