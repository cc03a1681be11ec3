import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CommandContext } from '../../domain/metadata.js';
import { type Answer, sendAnswer } from './answer.js';
import type { Authenticator, Principal } from './auth.js';
import { type Codecs, type Decoded, requestDecoder } from './decodeRequest.js';
import {
  type AnswerOnceDeps,
  answerOnce,
  commandContextOf,
  idempotencyKeyOf,
} from './idempotencyKey.js';
import { authenticate, principalOf } from './principal.js';
import { type RouteDoc, routeSchema } from './routeSchema.js';

/** What every route's steps need: tokens, the answers kept for Idempotency-Keys, the clock. */
export type RouteSteps = AnswerOnceDeps & { auth: Authenticator };

export type RouteContext<C extends Codecs> = Decoded<C> & {
  principal: Principal;
  /** Who and which request, for the metadata of every event the route appends. */
  command: CommandContext;
  request: FastifyRequest;
  /** The request's Idempotency-Key, on routes that take one. */
  idempotencyKey: string | null;
};

export type Route<C extends Codecs> = RouteDoc & {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** The codecs the input is decoded with (and its OpenAPI schema derived from). */
  input?: C;
  handler: (ctx: RouteContext<C>) => Promise<Answer>;
};

/**
 * The routes of a plugin, declared on `app` as objects: each is authenticated (a pre-handler
 * hook, for its role), its input decoded (or 400), a command with an Idempotency-Key answered
 * once, and its answer sent. Every failure is a problem document (the server's error handler).
 */
export const routesOn =
  (app: FastifyInstance, steps: RouteSteps) =>
  <C extends Codecs = Record<never, never>>(route: Route<C>): void => {
    const input = route.input ?? ({} as C);
    const decode = requestDecoder(input);
    app.route({
      method: route.method,
      url: route.url,
      schema: routeSchema(route, input),
      preHandler: authenticate(steps.auth, route.role),
      handler: async (request, reply) => {
        const decoded = decode(request);
        const principal = principalOf(request);
        const key = route.idempotent ? idempotencyKeyOf(request) : null;
        const command = commandContextOf(request, principal, key);
        const ctx = { ...decoded, principal, command, request, idempotencyKey: key };
        const run = () => route.handler(ctx);
        const answer =
          key === null
            ? await run()
            : await answerOnce(steps, request, principal.subject, key, run);
        return sendAnswer(reply, answer);
      },
    });
  };
