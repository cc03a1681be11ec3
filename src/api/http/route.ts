import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { describeFieldErrors, fieldErrorsOf } from '../../domain/fieldErrors.js';
import type { CommandContext } from '../../domain/metadata.js';
import type { Authenticator, Principal, Role } from './auth.js';
import type { IdempotencyStore, StoredResponse } from './idempotencyStore.js';
import { jsonSchemaOf } from './jsonSchema.js';
import { invalid, ProblemError, problem } from './problem.js';
import { requestIdentity, requestText } from './requestIdentity.js';
import { Problem as ProblemCodec } from './responses.js';

type Codecs = { body?: t.Mixed; query?: t.Mixed; params?: t.Mixed };
type Decoded<C extends Codecs> = {
  body: C['body'] extends t.Mixed ? t.TypeOf<C['body']> : undefined;
  query: C['query'] extends t.Mixed ? t.TypeOf<C['query']> : undefined;
  params: C['params'] extends t.Mixed ? t.TypeOf<C['params']> : undefined;
};

export type RouteContext<C extends Codecs> = Decoded<C> & {
  principal: Principal;
  /** Who and which request, for the metadata of every event the route appends. */
  command: CommandContext;
  request: FastifyRequest;
  /** The request's Idempotency-Key, on routes that take one. */
  idempotencyKey: string | null;
};

export type Answer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** The route takes over the raw response (a stream); it is never stored for replay. */
  | { stream: (res: ServerResponse) => void };

export type RouteDeps = { auth: Authenticator; idempotency: IdempotencyStore; clock: () => number };

/** Query strings are text: turn them into what the codec's JSON Schema says (booleans, numbers, lists). */
const coerce = (schema: Record<string, unknown>, value: unknown): unknown => {
  if (typeof value !== 'string' && !Array.isArray(value)) return value;
  const types = [schema, ...((schema['anyOf'] as Record<string, unknown>[] | undefined) ?? [])].map(
    (s) => s['type'],
  );
  if (types.includes('array'))
    return Array.isArray(value) ? value : value === '' ? [] : value.split(',');
  if (Array.isArray(value)) return value;
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (types.includes('null') && value === 'null') return null;
  return value;
};

const coerceQuery = (
  schema: Record<string, unknown>,
  q: Record<string, unknown>,
): Record<string, unknown> => {
  const props = (schema['properties'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  return Object.fromEntries(
    Object.entries(q).map(([k, v]) => [k, props[k] ? coerce(props[k]!, v) : v]),
  );
};

/** A short account of a refused value: never the whole of it (nor a walk down a deep one). */
const described = (v: unknown): string => {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The fields of `input` that its decoding dropped (exact codecs drop the fields their shape does
 * not name), as dotted paths, at any depth.
 */
export const unknownFields = (
  input: unknown,
  decoded: unknown,
  path: readonly string[] = [],
): string[] => {
  if (Array.isArray(input) && Array.isArray(decoded))
    return input.flatMap((x, i) => unknownFields(x, decoded[i], [...path, String(i)]));
  if (!isRecord(input) || !isRecord(decoded)) return [];
  return Object.keys(input).flatMap((k) =>
    Object.hasOwn(decoded, k)
      ? unknownFields(input[k], decoded[k], [...path, k])
      : [[...path, k].join('.')],
  );
};

/**
 * Decodes input with its codec, or throws a 400 problem naming each field that is wrong. A body
 * must be a JSON object, and may hold no field its (exact) codec does not name, at any depth:
 * what is not part of a shape is refused rather than silently stored or silently dropped.
 */
export const decodeInput = <C extends t.Mixed>(
  codec: C,
  value: unknown,
  where: string,
): t.TypeOf<C> => {
  if (where === 'body' && !isRecord(value)) {
    throw invalid(`body must be a JSON object, got ${described(value)}`, [
      { field: 'body', reason: `must be a JSON object, got ${described(value)}` },
    ]);
  }
  const r = codec.decode(value);
  if (E.isRight(r)) {
    const unknown = where === 'body' ? unknownFields(value, r.right) : [];
    if (unknown.length > 0) {
      const errors = unknown.map((field) => ({ field, reason: 'is not a known field' }));
      throw invalid(
        `${where}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a known field' : 'are not known fields'}`,
        errors,
      );
    }
    return r.right;
  }
  const errors = fieldErrorsOf(r.left, where);
  throw invalid(`${where}: ${describeFieldErrors(errors)}`, errors);
};

/**
 * Declares a route: its role, the codecs its input is decoded with (and its OpenAPI schema is
 * derived from), and for commands Idempotency-Key handling. Every failure is a problem document.
 */
export const defineRoute = <C extends Codecs>(
  app: FastifyInstance,
  deps: RouteDeps,
  spec: {
    method: 'GET' | 'POST' | 'DELETE';
    url: string;
    role: Role | 'public';
    summary: string;
    tags: string[];
    idempotent?: boolean;
    /** The success answers, by status, for the OpenAPI document. */
    responses?: Record<number, t.Mixed>;
  } & C,
  handler: (ctx: RouteContext<C>) => Promise<Answer>,
): void => {
  const schema: Record<string, unknown> = { summary: spec.summary, tags: spec.tags };
  if (spec.body) schema['body'] = jsonSchemaOf(spec.body);
  if (spec.query) schema['querystring'] = jsonSchemaOf(spec.query);
  if (spec.params) schema['params'] = jsonSchemaOf(spec.params);
  if (spec.role !== 'public') schema['security'] = [{ bearer: [] }];
  const problemSchema = {
    ...jsonSchemaOf(ProblemCodec),
    description: 'RFC 9457 problem details (application/problem+json)',
  };
  schema['response'] = {
    ...Object.fromEntries(
      Object.entries(spec.responses ?? {}).map(([status, codec]) => [status, jsonSchemaOf(codec)]),
    ),
    '4xx': problemSchema,
    '5xx': problemSchema,
  };
  if (spec.idempotent) {
    schema['headers'] = {
      type: 'object',
      properties: { 'idempotency-key': { type: 'string', maxLength: 200 } },
    };
  }
  const querySchema = schema['querystring'] as Record<string, unknown> | undefined;

  app.route({
    method: spec.method,
    url: spec.url,
    schema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const principal =
        spec.role === 'public'
          ? { subject: 'anonymous', roles: [] }
          : deps.auth.authenticate(request.headers.authorization, request.headers.origin);
      if (spec.role !== 'public') deps.auth.authorize(principal, spec.role);
      const decoded = {
        params: spec.params ? decodeInput(spec.params, request.params, 'path') : undefined,
        query: spec.query
          ? decodeInput(
              spec.query,
              coerceQuery(querySchema!, request.query as Record<string, unknown>),
              'query',
            )
          : undefined,
        body: spec.body
          ? decodeInput(spec.body, request.body === undefined ? {} : request.body, 'body')
          : undefined,
      } as Decoded<C>;
      const key = spec.idempotent ? request.headers['idempotency-key'] : undefined;
      const command: CommandContext = {
        actor: principal.subject,
        requestId: request.id,
        causationId: null,
        // Recorded with every event the command appends: a retry on any instance finds it done.
        ...(typeof key === 'string'
          ? {
              idempotency: {
                key,
                request: requestIdentity(spec.method, request.url, request.body),
              },
            }
          : {}),
      };
      const run = () =>
        handler({
          ...decoded,
          principal,
          command,
          request,
          idempotencyKey: typeof key === 'string' ? key : null,
        });

      let answer: Answer;
      if (typeof key === 'string') {
        if (key.length === 0 || key.length > 200)
          throw invalid('Idempotency-Key must be 1 to 200 characters');
        const seen = deps.idempotency.reserve(
          principal.subject,
          key,
          requestText(spec.method, request.url, request.body),
          deps.clock(),
        );
        if (seen === 'mismatch') {
          throw problem(
            'idempotency-key-reused',
            422,
            'Idempotency-Key reused',
            `the key ${key} was used for a different request`,
          );
        }
        if (seen === 'in-progress') {
          throw problem(
            'idempotency-key-in-use',
            409,
            'Request in progress',
            `a request with the key ${key} is still running; retry later`,
          );
        }
        if (seen !== 'reserved')
          return reply.code(seen.status).header('idempotent-replayed', 'true').send(seen.body);
        try {
          answer = await run();
        } catch (err) {
          deps.idempotency.release(principal.subject, key);
          throw err;
        }
        if ('status' in answer) {
          const stored: StoredResponse = { status: answer.status, body: answer.body };
          deps.idempotency.remember(principal.subject, key, stored);
        } else deps.idempotency.release(principal.subject, key);
      } else {
        answer = await run();
      }
      if ('stream' in answer) {
        reply.hijack();
        answer.stream(reply.raw);
        return reply;
      }
      for (const [k, v] of Object.entries(answer.headers ?? {})) reply.header(k, v);
      return reply.code(answer.status).send(answer.body);
    },
  });
};

export { ProblemError };
