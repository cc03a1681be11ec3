import type * as t from 'io-ts';
import { allows, Role, type RoleNeeded } from './auth.js';
import type { Codecs } from './decodeRequest.js';
import { jsonSchemaOf } from './jsonSchema.js';
import { Problem } from './responses.js';

/** An answer that is not JSON (a stream, text): its media type, what it holds, its schema if any. */
export type MediaAnswer = {
  readonly mediaType: string;
  readonly description: string;
  readonly schema?: Record<string, unknown>;
};

/** A problem a route answers beside the common ones: what it means, and its shape if it adds any. */
export type ProblemAnswer = string | { readonly description: string; readonly codec: t.Mixed };

/** What the OpenAPI document says of a route, beside its codecs. */
export type RouteDoc = {
  summary: string;
  /** What it does and what it needs, for a reader who has only the document. */
  description: string;
  tags: readonly string[];
  /** The role a request needs, or the roles of which any one will do (admin includes every role). */
  role: RoleNeeded;
  idempotent?: boolean;
  /** The success answers, by status: a JSON codec, or another media type. */
  responses?: Record<number, Answer | readonly Answer[]>;
  /** The problems this route answers beside those every route may (400, 401, 403, 429, 5xx). */
  problems?: Record<number, ProblemAnswer>;
  /** Request headers it reads, by name (lower case), described. */
  headers?: Record<string, string>;
};

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/**
 * The roles that may call a route that declares `role`: asked of the very check the routes run
 * (`allows`), so the document says what is enforced.
 */
export const rolesAllowed = (needed: RoleNeeded): Role[] =>
  (Object.keys(Role.keys) as Role[]).filter((held) =>
    allows({ subject: 'document', roles: [held] }, needed),
  );

/** The OpenAPI `security` of a route: a bearer token of any of these roles (3.1 role names). */
export const securityOf = (roles: readonly Role[]) => roles.map((r) => ({ bearer: [r] }));

/** The sentence of a description that says who may call. */
export const rolesSentence = (roles: readonly Role[]): string =>
  `Needs a bearer token with the ${roles.map((r) => `\`${r}\``).join(' or ')} role.`;

const problemAnswer = (description: string, codec: t.Mixed = Problem) => ({
  description,
  content: { [PROBLEM_JSON]: { schema: jsonSchemaOf(codec) } },
});

/**
 * A success answer: JSON of a codec's shape, or another media type. Several for one status: the
 * same answer in each media type a client may ask for (`Accept`), the first one's description.
 */
type Answer = t.Mixed | MediaAnswer;

const isCodec = (x: Answer): x is t.Mixed => 'decode' in x;

const successAnswer = (status: number, answers: readonly Answer[]) => ({
  description: answers
    .map((a) => (isCodec(a) ? (SUCCESS[status] ?? 'OK') : a.description))
    .join('; or: '),
  content: Object.assign(
    {},
    ...answers.map((a) =>
      isCodec(a)
        ? { 'application/json': { schema: jsonSchemaOf(a) } }
        : { [a.mediaType]: a.schema ? { schema: a.schema } : {} },
    ),
  ),
});

const SUCCESS: Record<number, string> = {
  200: 'OK',
  201: 'Created (`Location` names the new resource)',
  202: 'Accepted: recorded, still being carried out',
};

/** The answers of a route: its successes, then its problems, every one `application/problem+json`. */
const responsesOf = (doc: RouteDoc, input: Codecs) => {
  const successes = Object.entries(doc.responses ?? {}).map(([status, answer]) => [
    status,
    successAnswer(Number(status), Array.isArray(answer) ? answer : [answer as Answer]),
  ]);
  const hasInput = Boolean(input.body || input.query || input.params);
  const common: Record<number, ProblemAnswer> = {
    ...((hasInput
      ? {
          400: 'The request is not valid (`.../problems/validation`, `errors[]` naming each field as the API names it: `cwd`, `gitInfo.sha`, `sourceKinds[1]`)',
        }
      : {}) as Record<number, ProblemAnswer>),
    401: 'No bearer token, or not a valid one (`.../problems/unauthorized`)',
    403: 'The token does not have a role this needs (`.../problems/forbidden`)',
    ...((doc.idempotent
      ? {
          409: 'The same Idempotency-Key is still being answered, or the command conflicts with the thread as it is',
          422: 'The Idempotency-Key was used for another request (`.../problems/idempotency-key-reused`)',
        }
      : {}) as Record<number, ProblemAnswer>),
    429: 'Too many requests for this token (`.../problems/rate-limited`, `retry-after`)',
  };
  // A route's own problems come first; a status they share with the common ones says both.
  for (const [status, p] of Object.entries(doc.problems ?? {})) {
    const shared = common[Number(status)];
    common[Number(status)] =
      typeof shared === 'string' && typeof p === 'string' ? `${p}; or: ${shared}` : p;
  }
  const problems = Object.entries(common).map(([status, p]) => [
    status,
    typeof p === 'string' ? problemAnswer(p) : problemAnswer(p.description, p.codec),
  ]);
  return {
    ...Object.fromEntries(successes),
    ...Object.fromEntries(problems),
    '4XX': problemAnswer('Any other refusal, as a problem document (RFC 9457)'),
    '5XX': problemAnswer(
      'The server failed (500, the request id in `x-request-id`), or the store or key service cannot be reached now (503, `retry-after`)',
    ),
  };
};

/**
 * A route's fastify schema, for the OpenAPI document only (input is decoded by the codecs, not
 * validated against this): derived from the very codecs the route decodes with, and from the
 * role check it runs.
 */
export const routeSchema = (doc: RouteDoc, input: Codecs): Record<string, unknown> => {
  const roles = rolesAllowed(doc.role);
  const headers = {
    ...(doc.idempotent
      ? {
          'idempotency-key': {
            type: 'string',
            maxLength: 200,
            description:
              'A retry with the same key (same token) gets the first answer (`idempotent-replayed: true`) and appends nothing, for 24 hours',
          },
        }
      : {}),
    ...Object.fromEntries(
      Object.entries(doc.headers ?? {}).map(([name, description]) => [
        name,
        { type: 'string', description },
      ]),
    ),
  };
  return {
    summary: doc.summary,
    description: `${doc.description}\n\n${rolesSentence(roles)}`,
    tags: [...doc.tags],
    ...(input.body ? { body: jsonSchemaOf(input.body) } : {}),
    ...(input.query ? { querystring: jsonSchemaOf(input.query) } : {}),
    ...(input.params ? { params: jsonSchemaOf(input.params) } : {}),
    ...(Object.keys(headers).length > 0
      ? { headers: { type: 'object', properties: headers } }
      : {}),
    security: securityOf(roles),
    'x-roles': roles,
    response: responsesOf(doc, input),
  };
};
