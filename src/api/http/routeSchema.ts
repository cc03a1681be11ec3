import type * as t from 'io-ts';
import type { RoleNeeded } from './auth.js';
import type { Codecs } from './decodeRequest.js';
import { jsonSchemaOf } from './jsonSchema.js';
import { Problem } from './responses.js';

/** What the OpenAPI document says of a route, beside its codecs. */
export type RouteDoc = {
  summary: string;
  tags: readonly string[];
  /** The role a request needs, or the roles of which any one will do (admin includes every role). */
  role: RoleNeeded;
  idempotent?: boolean;
  /** The success answers, by status. */
  responses?: Record<number, t.Mixed>;
};

const problemSchema = () => ({
  ...jsonSchemaOf(Problem),
  description: 'RFC 9457 problem details (application/problem+json)',
});

/**
 * A route's fastify schema, for the OpenAPI document only (input is decoded by the codecs, not
 * validated against this): derived from the very codecs the route decodes with.
 */
export const routeSchema = (doc: RouteDoc, input: Codecs): Record<string, unknown> => {
  const successes = Object.entries(doc.responses ?? {});
  const problem = problemSchema();
  return {
    summary: doc.summary,
    tags: [...doc.tags],
    ...(input.body ? { body: jsonSchemaOf(input.body) } : {}),
    ...(input.query ? { querystring: jsonSchemaOf(input.query) } : {}),
    ...(input.params ? { params: jsonSchemaOf(input.params) } : {}),
    security: [{ bearer: [] }],
    response: {
      ...Object.fromEntries(successes.map(([status, codec]) => [status, jsonSchemaOf(codec)])),
      '4xx': problem,
      '5xx': problem,
    },
    ...(doc.idempotent
      ? {
          headers: {
            type: 'object',
            properties: { 'idempotency-key': { type: 'string', maxLength: 200 } },
          },
        }
      : {}),
  };
};
