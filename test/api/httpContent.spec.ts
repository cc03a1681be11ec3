import type { FastifyInstance } from 'fastify';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as t from 'io-ts';
import { RenameBody, StartThreadBody } from '../../src/api/http/requests.js';
import { buildServer } from '../../src/api/server.js';
import { type Fixture, ledgerFixture } from '../support/ledgerFixture.js';

const TOKENS = [
  { token: 'writer-token-0123456789', subject: 'svc-orders', roles: ['writer' as const] },
  { token: 'auditor-token-0123456789', subject: 'alice-audit', roles: ['auditor' as const] },
];
const W = TOKENS[0]!.token;
const A = TOKENS[1]!.token;
const PROBLEM = 'https://thread-ledger.dev/problems/';

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
const filesHolding = (dir: string, needles: (string | Buffer)[]) =>
  filesUnder(dir).filter((file) => {
    const bytes = readFileSync(file);
    return needles.some((n) => bytes.includes(typeof n === 'string' ? Buffer.from(n) : n));
  });

/** The object shapes of a codec that are not exact (that would let an unknown field through), by path. */
const inexact = (codec: t.Mixed, path = 'body', underExact = false): string[] => {
  const c = codec as t.Mixed & { _tag: string } & Record<string, unknown>;
  switch (c._tag) {
    case 'ExactType':
      return inexact(c['type'] as t.Mixed, path, true);
    case 'InterfaceType':
    case 'PartialType':
      return [...(underExact ? [] : [path]), ...Object.entries(c['props'] as Record<string, t.Mixed>).flatMap(([k, v]) => inexact(v, `${path}.${k}`))];
    case 'IntersectionType':
      return (c['types'] as t.Mixed[]).flatMap((x) => inexact(x, path, underExact));
    case 'UnionType':
      return (c['types'] as t.Mixed[]).flatMap((x) => inexact(x, path));
    case 'ArrayType':
      return inexact(c['type'] as t.Mixed, `${path}[]`);
    case 'RefinementType':
    case 'ReadonlyType':
      return inexact(c['type'] as t.Mixed, path, underExact);
    default:
      return [];
  }
};

/** What a request carried that a deletion must take with it: nothing of it outlives the thread. */
describe('HTTP request content after a deletion, through a real listening server', () => {
  let f: Fixture;
  let app: FastifyInstance;
  let base: string;

  beforeEach(async () => {
    f = await ledgerFixture();
    f.ledger.runner.start();
    f.ledger.workerLoop.start();
    app = await buildServer(f.ledger, { tokens: TOKENS, dataDir: join(f.dir, 'data'), clock: () => f.clock.now });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
    await f.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('decodes every body with exact shapes, at every depth, and documents them as closed', async () => {
    expect(inexact(StartThreadBody)).toEqual([]);
    expect(inexact(RenameBody)).toEqual([]);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as any;
    const start = doc.paths['/v1/threads'].post.requestBody.content['application/json'].schema;
    expect(start.additionalProperties).toBe(false);
    expect(start.properties.gitInfo.additionalProperties).toBe(false);
  });

  it('refuses fields it does not know, at any depth of a body, so that none is stored: a secret in gitInfo is in no file', async () => {
    const secret = `gitinfo-secret-${Date.now()}`;
    const dataDir = join(f.dir, 'data');
    const bodies: [Record<string, unknown>, string][] = [
      [{ cwd: '/w', modelProvider: 'openai', gitInfo: { sha: 'abc', branch: 'main', originUrl: 'https://git.example/r', secret } }, 'gitInfo.secret'],
      [{ cwd: '/w', modelProvider: 'openai', gitInfo: { sha: null, branch: null, originUrl: null, nested: { secret } } }, 'gitInfo.nested'],
      [{ cwd: '/w', modelProvider: 'openai', notes: secret }, 'notes'],
    ];
    const started: string[] = [];
    for (const [body, field] of bodies) {
      for (const key of [null, `k-${field}`]) {
        const res = await post('/v1/threads', body, key ? { 'idempotency-key': key } : {});
        const answer = (await res.json()) as { threadId?: string; type?: string; errors?: { field: string }[] };
        if (answer.threadId) started.push(answer.threadId);
        expect(res.status, `${field}: ${JSON.stringify(answer)}`).toBe(400);
        expect(answer.type).toBe(`${PROBLEM}validation`);
        expect(answer.errors?.map((e) => e.field)).toContain(field);
      }
      const spawn = await post(`/v1/threads/${(await (await post('/v1/threads', { cwd: '/p', modelProvider: 'x' })).json() as { threadId: string }).threadId}/subagents`, body);
      expect(spawn.status).toBe(400);
    }
    expect((await post('/v1/threads/01a21371-4b35-72ca-ac7d-282102267fc9/name', { name: 'n', secret })).status).toBe(400);
    // What was accepted (before the fix: all of it), deleted: the secret goes with it, or was never kept.
    for (const id of started) expect((await fetch(`${base}/v1/threads/${id}?wait=5000`, { method: 'DELETE', headers: { authorization: `Bearer ${W}` } })).status).toBe(200);
    for (const id of started) {
      const history = await fetch(`${base}/v1/threads/${id}/history`, { headers: { authorization: `Bearer ${A}` } });
      expect(await history.text()).not.toContain(secret);
    }
    expect(filesHolding(dataDir, [secret])).toEqual([]);
    // The exact gitInfo shape is still taken, and served.
    const ok = await post('/v1/threads', { cwd: '/w', modelProvider: 'openai', gitInfo: { sha: 'abc', branch: 'main', originUrl: null } });
    expect(ok.status).toBe(201);
  });
});
