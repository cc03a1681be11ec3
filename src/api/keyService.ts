import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { KeysRequest, keyServicePaths, MIN_KEY_SERVICE_TOKEN } from '../io/keys/keyServiceWire.js';
import type { KeyStore } from '../io/keys/keyStore.js';
import { decodeInput } from './http/decodeRequest.js';
import { ProblemError, problem, sendProblem } from './http/problem.js';

export type KeyServiceOptions = {
  /** The bearer token every instance presents (KEY_SERVICE_TOKEN). */
  readonly token: string;
  /** PEM: our certificate and key; with `ca`, clients must present a certificate it signed (mTLS). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  readonly logger?: boolean;
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The key service: the one owner of the content keys of a scaled-out deployment. Every instance
 * creates, reads and destroys keys through it, so a key destroyed here is destroyed for all of
 * them, and the SQLite key store's guarantees (secure_delete, an emptied journal) hold in one place.
 */
export const buildKeyService = async (
  keys: KeyStore,
  opts: KeyServiceOptions,
): Promise<FastifyInstance> => {
  if (opts.token.length < MIN_KEY_SERVICE_TOKEN) {
    throw new Error(`KEY_SERVICE_TOKEN must be at least ${MIN_KEY_SERVICE_TOKEN} characters`);
  }
  const expected = digest(opts.token);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    requestTimeout: 30_000,
    ...(opts.tls
      ? {
          https: {
            cert: opts.tls.cert,
            key: opts.tls.key,
            ca: opts.tls.ca,
            requestCert: !!opts.tls.ca,
            rejectUnauthorized: !!opts.tls.ca,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  app.addHook('onRequest', async (req) => {
    if (req.url === '/healthz') return;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    // Constant time: digests of equal length, compared whatever was sent.
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw problem(
        'unauthorized',
        401,
        'Authentication required',
        'send Authorization: Bearer <KEY_SERVICE_TOKEN>',
      );
    }
  });
  app.setErrorHandler((err: FastifyError | ProblemError, req, reply) => {
    if (err instanceof ProblemError) return sendProblem(reply, err.problem);
    if (err.statusCode && err.statusCode < 500)
      return sendProblem(
        reply,
        problem('bad-request', err.statusCode, 'Bad request', err.message).problem,
      );
    req.log.error(err);
    return sendProblem(
      reply,
      problem('unavailable', 503, 'Key store unavailable', err.message).problem,
    );
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(
      reply,
      problem('route-not-found', 404, 'No such route', `${req.method} ${req.url}`).problem,
    ),
  );

  const ids = (body: unknown) => decodeInput(KeysRequest, body ?? {}, 'body').threadIds;
  const asAnswer = (found: Map<string, Buffer>) => ({
    keys: Object.fromEntries([...found].map(([id, k]) => [id, k.toString('base64')])),
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post(keyServicePaths.ensure, async (req) => asAnswer(await keys.ensure(ids(req.body))));
  app.post(keyServicePaths.read, async (req) => asAnswer(await keys.getMany(ids(req.body))));
  app.post(keyServicePaths.destroy, async (req) => keys.destroy(ids(req.body)));
  app.addHook('onClose', async () => keys.close());
  return app;
};
