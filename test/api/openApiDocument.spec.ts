import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { A, ADM, TOKENS, useHttpServer, W } from '../support/httpServerFixture.js';

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  'x-roles'?: string[];
  'x-rpc-methods'?: Record<string, string[]>;
  parameters?: { in: string; name: string }[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema?: Record<string, any> }> }
  >;
};
type Doc = {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

/** The OpenAPI 3.1 document schema (see its `$comment` for where it comes from). */
const OAS_31 = JSON.parse(
  readFileSync(new URL('../support/openapi-3.1.schema.json', import.meta.url), 'utf8'),
);

const ROLES = ['writer', 'auditor', 'admin'];
/** The routes anyone may call. */
const OPEN = ['/healthz', '/readyz', '/openapi.json'];
const PROBLEM_JSON = 'application/problem+json';
const SOME_ID = '01a21371-4b35-72ca-ac7d-282102267fc9';

const operations = (doc: Doc): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, string, Operation] => [path, method, op]),
  );

/** Every schema object of the document (bodies, parameters, answers). */
const schemasOf = (op: Operation): Record<string, unknown>[] => [
  ...(op.parameters ?? []).map((p) => (p as { schema?: Record<string, unknown> }).schema ?? {}),
  ...Object.values(
    (op as { requestBody?: { content: Record<string, { schema: any }> } }).requestBody?.content ??
      {},
  ).map((m) => m.schema),
  ...Object.values(op.responses).flatMap((r) =>
    Object.values(r.content ?? {}).flatMap((m) => (m.schema ? [m.schema] : [])),
  ),
];

describe('The OpenAPI document: a service can use the API from it alone (real listening server)', () => {
  const server = useHttpServer();
  let doc: Doc;
  beforeEach(async () => {
    doc = (await (await fetch(`${server.base}/openapi.json`)).json()) as Doc;
  });

  it('is a valid OpenAPI 3.1 document, every schema in it valid JSON Schema 2020-12', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(OAS_31);
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    for (const [path, method, op] of operations(doc)) {
      for (const schema of schemasOf(op)) {
        expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow();
      }
    }
  });

  it('documents every route the server has, /rpc included, each with a summary and a description', () => {
    // Routes other parts of the API add are held to the same rules below.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/readyz',
        '/openapi.json',
        '/metrics',
        '/v1/admin/rebuild',
        '/v1/threads',
        '/v1/threads/{id}',
        '/v1/threads/{id}/subagents',
        '/v1/threads/{id}/name',
        '/v1/threads/{id}/archive',
        '/v1/threads/{id}/unarchive',
        '/v1/threads/{id}/subtree',
        '/v1/threads/{id}/history',
        '/v1/deletions',
        '/v1/deletions/{id}',
        '/v1/events',
        '/v1/evidence/key',
        '/v1/evidence/checkpoint',
        '/v1/evidence/checkpoints',
        '/v1/evidence/consistency',
        '/v1/evidence/inclusion',
        '/v1/deletions/{id}/receipt',
        '/rpc',
      ]),
    );
    for (const [path, method, op] of operations(doc)) {
      expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
      expect(op.description?.length ?? 0, `${method} ${path}`).toBeGreaterThan(20);
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    expect(doc.info.description).toMatch(/camelCase/);
    expect(doc.info.description).toMatch(/ISO 8601/);
  });

  it('names the roles each operation needs: in x-roles, in its security entries and in its description', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      const roles = op['x-roles'];
      expect(roles, where).toBeInstanceOf(Array);
      if (OPEN.includes(path)) {
        expect(roles, where).toEqual([]);
        expect(op.security, where).toEqual([]);
        expect(op.description, where).toMatch(/No token needed/);
        continue;
      }
      expect(roles!.length, where).toBeGreaterThan(0);
      for (const r of roles!) expect(ROLES, where).toContain(r);
      expect(op.security, where).toEqual(roles!.map((r) => ({ bearer: [r] })));
      for (const r of roles!) expect(op.description, where).toContain(`\`${r}\``);
    }
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
  });

  it('x-roles is what the server enforces: each token is refused (403) exactly where its role is not listed', async () => {
    const tokenOf: Record<string, string> = { writer: W, auditor: A, admin: ADM };
    expect(TOKENS.map((t) => t.roles[0])).toEqual(ROLES);
    for (const [path, method, op] of operations(doc)) {
      if (OPEN.includes(path) || path === '/rpc') continue;
      const url = `${server.base}${path.replace('{id}', SOME_ID)}`;
      for (const role of ROLES) {
        const abort = new AbortController();
        const res = await fetch(url, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${tokenOf[role]}` },
          signal: abort.signal,
        });
        abort.abort(); // an event stream stays open
        const refused = res.status === 403;
        expect(refused, `${method} ${path} as ${role}: ${res.status}`).toBe(
          !op['x-roles']!.includes(role),
        );
      }
    }
  });

  it('documents every error answer as application/problem+json with the problem schema; 401 and 403 wherever a token is needed', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      const errors = Object.entries(op.responses).filter(([s]) => /^[45]/.test(s));
      if (!OPEN.includes(path)) {
        expect(errors.length, where).toBeGreaterThan(0);
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '4XX']));
        if (path !== '/rpc') expect(Object.keys(op.responses), where).toContain('403');
      }
      for (const [status, answer] of errors) {
        // Not a refusal: the readiness of a server still catching up.
        if (path === '/readyz' && status === '503') continue;
        expect(Object.keys(answer.content ?? {}), `${where} ${status}`).toEqual([PROBLEM_JSON]);
        const schema = answer.content![PROBLEM_JSON]!.schema!;
        expect(schema.required, `${where} ${status}`).toEqual(
          expect.arrayContaining(['type', 'title', 'status', 'detail']),
        );
        expect(answer.description.length, `${where} ${status}`).toBeGreaterThan(5);
      }
    }
    // The 410 of a deleted thread, with its own fields.
    const gone = doc.paths['/v1/threads/{id}']!.get!.responses['410']!.content![PROBLEM_JSON]!;
    expect(gone.schema!.properties.deletion.properties.requestedAt).toEqual({
      type: 'string',
      format: 'date-time',
    });
    // A validation problem names fields as the API does.
    expect(doc.paths['/v1/threads']!.post!.responses['400']!.description).toContain(
      'sourceKinds[1]',
    );
  });

  it('documents the event stream as text/event-stream, the metrics as Prometheus text, and /rpc as a WebSocket with its JSON-RPC methods', () => {
    const events = doc.paths['/v1/events']!.get!;
    expect(Object.keys(events.responses['200']!.content!)).toEqual(['text/event-stream']);
    expect(events.description).toMatch(/Last-Event-ID/);
    expect(events.responses['200']!.description).toMatch(/event: /);
    expect(events.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['after', 'last-event-id']),
    );
    const metrics = doc.paths['/metrics']!.get!;
    expect(Object.keys(metrics.responses['200']!.content!)).toEqual(['text/plain; version=0.0.4']);
    expect(metrics.description).toMatch(/Prometheus/);
    const rpc = doc.paths['/rpc']!.get!;
    expect(Object.keys(rpc.responses)).toEqual(expect.arrayContaining(['101', '426']));
    expect(rpc.parameters?.filter((p) => p.in === 'header').map((p) => p.name)).toEqual(
      expect.arrayContaining(['upgrade', 'sec-websocket-key']),
    );
    expect(Object.keys(rpc['x-rpc-methods']!)).toEqual([
      'initialize',
      'thread/list',
      'thread/read',
      'thread/archive',
      'thread/unarchive',
      'thread/name/set',
      'thread/delete',
    ]);
    for (const m of Object.keys(rpc['x-rpc-methods']!)) expect(rpc.description).toContain(m);
    expect(rpc.description).toMatch(/thread\/deleted/);
  });

  it('documents /v1 answers with the convention: camelCase fields, ISO date-time for every ...At', () => {
    const walk = (schema: any, where: string): void => {
      if (!schema || typeof schema !== 'object') return;
      for (const [k, v] of Object.entries<any>(schema.properties ?? {})) {
        expect(k, `${where}.${k}`).not.toMatch(/_/);
        if (/At$/.test(k)) {
          const types = v.anyOf ? v.anyOf.filter((x: any) => x.type !== 'null') : [v];
          expect(types, `${where}.${k}`).toEqual([{ type: 'string', format: 'date-time' }]);
        }
        walk(v, `${where}.${k}`);
      }
      for (const sub of [schema.items, ...(schema.anyOf ?? []), ...(schema.allOf ?? [])])
        walk(sub, where);
    };
    const mine = [
      ['/v1/threads', 'get', '200'],
      ['/v1/threads', 'post', '201'],
      ['/v1/threads/{id}', 'get', '200'],
      ['/v1/threads/{id}', 'get', '410'],
      ['/v1/threads/{id}', 'delete', '202'],
      ['/v1/threads/{id}/subagents', 'post', '201'],
      ['/v1/threads/{id}/name', 'post', '200'],
      ['/v1/threads/{id}/archive', 'post', '200'],
      ['/v1/threads/{id}/subtree', 'get', '200'],
      ['/v1/threads/{id}/history', 'get', '200'],
      ['/v1/deletions', 'get', '200'],
      ['/v1/deletions/{id}', 'get', '200'],
      ['/v1/deletions/{id}/steps/{step}/waive', 'post', '200'],
      ['/v1/evidence/key', 'get', '200'],
      ['/v1/evidence/checkpoints', 'get', '200'],
      ['/v1/evidence/consistency', 'get', '200'],
      ['/v1/evidence/inclusion', 'get', '200'],
      ['/v1/deletions/{id}/receipt', 'get', '200'],
      ['/v1/deletions/{id}/receipt', 'get', '409'],
    ] as const;
    for (const [path, method, status] of mine) {
      const content = doc.paths[path]![method]!.responses[status]!.content!;
      const schema = Object.values(content)[0]!.schema;
      expect(schema, `${method} ${path} ${status}`).toBeDefined();
      for (const [type, media] of Object.entries(content))
        walk(media.schema, `${method} ${path} ${status} ${type}`);
    }
  });

  it('documents the evidence: the checkpoint as the signed note in text/plain, the receipt with its format, the refusal of an incomplete deletion with the root and its status', () => {
    const checkpoint = doc.paths['/v1/evidence/checkpoint']!.get!;
    expect(Object.keys(checkpoint.responses['200']!.content!)).toEqual([
      'text/plain; charset=utf-8',
    ]);
    expect(checkpoint.responses['404']!.description).toMatch(/no-checkpoint/);
    const receipt = doc.paths['/v1/deletions/{id}/receipt']!.get!;
    const shape = receipt.responses['200']!.content!['application/json']!.schema!;
    // A single-valued enum: how the document renders a literal.
    expect(shape.properties.format).toEqual({ enum: ['thread-ledger/deletion-receipt/v1'] });
    expect(shape.properties.entries.items.required).toEqual(['leafIndex', 'entry', 'proof']);
    const refused = receipt.responses['409']!.content![PROBLEM_JSON]!.schema!;
    expect(refused.properties.rootStatus).toEqual({ type: 'string', enum: ['live', 'deleting'] });
    const inclusion = doc.paths['/v1/evidence/inclusion']!.get!;
    expect(inclusion.parameters?.map((p) => p.name)).toEqual(['position', 'size']);
    for (const [path, op] of [
      ['/v1/evidence/key', 'get'],
      ['/v1/evidence/inclusion', 'get'],
      ['/v1/deletions/{id}/receipt', 'get'],
    ] as const)
      expect(doc.paths[path]![op]!.tags).toEqual(['evidence']);
  });

  it('documents the exports of GET /v1/deletions beside its JSON page: text/csv with its columns, application/x-ndjson one list row a line', async () => {
    const list = doc.paths['/v1/deletions']!.get!;
    const ok = list.responses['200']!;
    expect(Object.keys(ok.content!)).toEqual([
      'application/json',
      'text/csv',
      'application/x-ndjson',
    ]);
    expect(ok.description).toMatch(/CSV/);
    expect(ok.description).toMatch(/NDJSON/);
    expect(ok.description).toMatch(/`requestedAt`, `completedAt`/);
    expect(ok.content!['text/csv']!.schema).toEqual({ type: 'string' });
    // One NDJSON line: the list row, as the JSON page's `data[]` holds it.
    const page = ok.content!['application/json']!.schema!;
    expect(ok.content!['application/x-ndjson']!.schema).toEqual(page.properties.data.items);
    // What the document says is what the server sends.
    for (const [accept, type] of [
      ['text/csv', /^text\/csv/],
      ['application/x-ndjson', /^application\/x-ndjson/],
    ] as const) {
      const r = await fetch(`${server.base}/v1/deletions`, {
        headers: { authorization: `Bearer ${A}`, accept },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(type);
      await r.text();
    }
  });
});
