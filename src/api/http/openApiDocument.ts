import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';

/**
 * The parts of the OpenAPI document that are not routes: its version, what the API is, its
 * conventions, the tags, and the bearer scheme with the roles. Each route adds its own operation
 * (routeSchema.ts, rpcDoc.ts), derived from its codecs and its role check.
 */
export const OPENAPI_DEFINITION: FastifyDynamicSwaggerOptions['openapi'] = {
  openapi: '3.1.0',
  info: {
    title: 'thread-ledger',
    version: '1',
    description: [
      'Event-sourced lifecycle and durable deletion of agent threads.',
      '',
      'Conventions of `/v1`: field names in camelCase (bodies, query parameters, answers, and the ' +
        '`field` of a validation error: `cwd`, `gitInfo.sha`, `sourceKinds[1]`); times as RFC ' +
        '3339 / ISO 8601 UTC strings with milliseconds, in fields named `...At`; log positions ' +
        'as decimal strings; lists as JSON arrays. Every error is `application/problem+json` ' +
        '(RFC 9457) with a stable `type` per kind of problem.',
      '',
      'Every command answers the log `position` it reached; a query given `?minPosition=` waits ' +
        '(up to 2 s, else `503`) until the read models have reached it. Commands take an ' +
        '`Idempotency-Key`. Codex’s own protocol (the JSON-RPC at `/rpc`) keeps Codex’s shapes.',
    ].join('\n'),
  },
  tags: [
    { name: 'commands', description: 'Start, spawn, rename, archive, delete: each appends events' },
    { name: 'queries', description: 'Threads and the spawn graph, from the read models' },
    { name: 'audit', description: 'The log as recorded, deletion records, the event stream' },
    {
      name: 'evidence',
      description: 'The signed log: its key, checkpoints, proofs, and deletion receipts',
    },
    { name: 'live', description: 'Codex’s JSON-RPC over WebSocket' },
    {
      name: 'operations',
      description: 'Health, readiness, metrics, the read models, this document',
    },
  ],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          '`Authorization: Bearer <token>`. Each token has a subject (recorded as the `actor` ' +
          'of what it does) and roles: `writer` (commands), `auditor` (queries and audit), ' +
          '`admin` (operations). The roles an operation accepts are its `security` entries and ' +
          'its `x-roles`.',
      },
    },
  },
};
