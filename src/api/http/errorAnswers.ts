import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KeyStoreUnavailableError } from '../../io/keys/keyStore.js';
import { StoreUnavailableError } from '../../store/eventStore.js';
import { clientProblem, type RouteTable } from './edges.js';
import { ProblemError, problem, sendProblem } from './problem.js';

/**
 * The server's error handler: whatever a route or hook threw, answered as a problem document.
 * A problem as it is; fastify's own 4xx refusals by their code; an unreachable store or key
 * service as 503 with `retry-after`; anything else as 500, its cause in the log only.
 */
export const errorAnswer = (
  err: FastifyError | ProblemError,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply => {
  if (err instanceof ProblemError) return sendProblem(reply, err.problem);
  const e = err as FastifyError;
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    return sendProblem(reply, clientProblem(e).problem);
  if (err instanceof StoreUnavailableError || err instanceof KeyStoreUnavailableError) {
    req.log.warn(err);
    reply.header('retry-after', '1');
    // The cause (hosts, socket errors) goes to the log, not to the client.
    const what = err instanceof KeyStoreUnavailableError ? 'the key service' : 'the event store';
    const detail = `${what} cannot be reached now; retry later`;
    return sendProblem(reply, problem('unavailable', 503, 'Service unavailable', detail).problem);
  }
  req.log.error(err);
  const detail = 'the server failed; the request id is in x-request-id';
  return sendProblem(reply, problem('internal', 500, 'Internal error', detail).problem);
};

/**
 * The server's not-found handler: a known path with another method is 405 (with `allow`); a
 * path no route takes (or a route that found nothing, as a static file) is 404.
 */
export const notFoundAnswer =
  (routes: RouteTable) =>
  (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const allowed = routes.allowed(req.url);
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      reply.header('allow', allowed.join(', '));
      const detail = `${req.method} is not allowed here; allowed: ${allowed.join(', ')}`;
      const p = problem('method-not-allowed', 405, 'Method Not Allowed', detail);
      return sendProblem(reply, p.problem);
    }
    const detail = `${req.method} ${req.url.slice(0, 200)}`;
    return sendProblem(reply, problem('route-not-found', 404, 'No such route', detail).problem);
  };
