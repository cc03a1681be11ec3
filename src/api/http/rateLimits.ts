import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import type { Authenticator } from './auth.js';
import { problem } from './problem.js';

/**
 * At most `perMinute` requests a minute per authenticated subject, so that one busy service
 * cannot starve another; anything that does not authenticate (no token, a made-up one, a
 * malformed header) counts against its address. Health and readiness probes are not counted.
 */
export const rateLimits = (auth: Authenticator, perMinute: number): RateLimitPluginOptions => ({
  max: perMinute,
  timeWindow: 60_000,
  keyGenerator: (req) => {
    const subject = auth.subjectOf(req.headers.authorization);
    return subject === null ? `a:${req.ip}` : `s:${subject}`;
  },
  allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
  errorResponseBuilder: (_req, ctx) => {
    const who = 'the subject of its token, or its address without a valid one';
    const retry = `retry in ${Math.ceil(ctx.ttl / 1000)} s`;
    const detail = `at most ${ctx.max} requests a minute per client (${who}); ${retry}`;
    return problem('rate-limited', 429, 'Too many requests', detail);
  },
});
