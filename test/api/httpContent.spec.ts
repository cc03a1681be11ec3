import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type * as t from 'io-ts';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FINGERPRINT_KEY_PERIOD_MS,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyStore,
} from '../../src/api/http/idempotencyStore.js';
import { RenameBody, StartThreadBody } from '../../src/api/http/requests.js';
import { A, useHttpServer, W } from '../support/httpServerFixture.js';
import type { Fixture } from '../support/ledgerFixture.js';
import { tempDir } from '../support/tempDir.js';

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
      return [
        ...(underExact ? [] : [path]),
        ...Object.entries(c['props'] as Record<string, t.Mixed>).flatMap(([k, v]) =>
          inexact(v, `${path}.${k}`),
        ),
      ];
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
  const server = useHttpServer();
  let f: Fixture;
  let base: string;
  beforeEach(() => {
    ({ f, base } = server);
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

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
      [
        {
          cwd: '/w',
          modelProvider: 'openai',
          gitInfo: { sha: 'abc', branch: 'main', originUrl: 'https://git.example/r', secret },
        },
        'gitInfo.secret',
      ],
      [
        {
          cwd: '/w',
          modelProvider: 'openai',
          gitInfo: { sha: null, branch: null, originUrl: null, nested: { secret } },
        },
        'gitInfo.nested',
      ],
      [{ cwd: '/w', modelProvider: 'openai', notes: secret }, 'notes'],
    ];
    const started: string[] = [];
    for (const [body, field] of bodies) {
      for (const key of [null, `k-${field}`]) {
        const res = await post('/v1/threads', body, key ? { 'idempotency-key': key } : {});
        const answer = (await res.json()) as {
          threadId?: string;
          type?: string;
          errors?: { field: string }[];
        };
        if (answer.threadId) started.push(answer.threadId);
        expect(res.status, `${field}: ${JSON.stringify(answer)}`).toBe(400);
        expect(answer.type).toBe(`${PROBLEM}validation`);
        expect(answer.errors?.map((e) => e.field)).toContain(field);
      }
      const spawn = await post(
        `/v1/threads/${((await (await post('/v1/threads', { cwd: '/p', modelProvider: 'x' })).json()) as { threadId: string }).threadId}/subagents`,
        body,
      );
      expect(spawn.status).toBe(400);
    }
    expect(
      (await post('/v1/threads/01a21371-4b35-72ca-ac7d-282102267fc9/name', { name: 'n', secret }))
        .status,
    ).toBe(400);
    // What was accepted (before the fix: all of it), deleted: the secret goes with it, or was never kept.
    for (const id of started)
      expect(
        (
          await fetch(`${base}/v1/threads/${id}?wait=5000`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${W}` },
          })
        ).status,
      ).toBe(200);
    for (const id of started) {
      const history = await fetch(`${base}/v1/threads/${id}/history`, {
        headers: { authorization: `Bearer ${A}` },
      });
      expect(await history.text()).not.toContain(secret);
    }
    expect(filesHolding(dataDir, [secret])).toEqual([]);
    // The exact gitInfo shape is still taken, and served.
    const ok = await post('/v1/threads', {
      cwd: '/w',
      modelProvider: 'openai',
      gitInfo: { sha: 'abc', branch: 'main', originUrl: null },
    });
    expect(ok.status).toBe(201);
  });
  it('keeps no plain digest of a request body in http.db: after a delete, the body and its SHA-256 are in no file', async () => {
    const created = (await (
      await post('/v1/threads', { cwd: '/w', modelProvider: 'openai' })
    ).json()) as { threadId: string };
    const name = `Merger plan ${Date.now()}`;
    const body = { name };
    const rename = (n: string) =>
      post(
        `/v1/threads/${created.threadId}/name`,
        { name: n },
        { 'idempotency-key': 'rename-secret' },
      );
    expect((await rename(name)).status).toBe(200);
    // The Idempotency-Key semantics hold: the same request replays, another is refused.
    const replay = await rename(name);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await rename(`${name} (other)`)).status).toBe(422);
    expect(
      (
        await fetch(`${base}/v1/threads/${created.threadId}?wait=5000`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${W}` },
        })
      ).status,
    ).toBe(200);
    // Every digest of the body one could compute from a guessed name: of the raw body, of the
    // canonical JSON (with and without the query part), whole or cut, hex or base64.
    const texts = [
      JSON.stringify(body),
      `[]\n${JSON.stringify(body)}`,
      `{"name":${JSON.stringify(name)}}`,
    ];
    const needles = texts.flatMap((text) => {
      const d = createHash('sha256').update(text).digest();
      return [
        d,
        d.toString('hex'),
        d.toString('base64'),
        d.toString('base64url'),
        d.toString('base64url').slice(0, 22),
        d.toString('hex').slice(0, 32),
      ];
    });
    expect(filesHolding(join(f.dir, 'data'), [name, ...needles])).toEqual([]);
  });

  it("fingerprints with an HMAC under a key of the hour, destroyed (zeroed, out of the WAL) once that hour's answers expire", async () => {
    const dir = await tempDir();
    const file = join(dir.path, 'http.db');
    const t0 = 1_790_000_000_000;
    const request = `POST /v1/threads/x/name\n[]\n{"name":"Layoffs list"}`;
    const store = new IdempotencyStore(file);
    expect(store.reserve('svc', 'k1', request, t0)).toBe('reserved');
    store.remember('svc', 'k1', { status: 200, body: { ok: true } });
    // Hours later (another key's hour), the same request still replays and another is refused.
    expect(store.reserve('svc', 'k1', request, t0 + 5 * FINGERPRINT_KEY_PERIOD_MS)).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(store.reserve('svc', 'k1', `${request} `, t0 + 5 * FINGERPRINT_KEY_PERIOD_MS)).toBe(
      'mismatch',
    );
    const peek = new Database(file, { readonly: true });
    const keys = peek.prepare('SELECT key FROM fingerprint_keys').all() as { key: Buffer }[];
    peek.close();
    expect(keys.length).toBe(2);
    expect(filesHolding(dir.path, [createHash('sha256').update(request).digest()])).toEqual([]);
    // A day and an hour on, the answer has expired, and with it the key of its hour: gone from every file.
    expect(
      store.reserve(
        'svc',
        'k2',
        request,
        t0 + IDEMPOTENCY_RETENTION_MS + FINGERPRINT_KEY_PERIOD_MS + 1,
      ),
    ).toBe('reserved');
    expect(filesHolding(dir.path, [keys[0]!.key])).toEqual([]);
    expect(
      store.reserve(
        'svc',
        'k1',
        `${request} `,
        t0 + IDEMPOTENCY_RETENTION_MS + FINGERPRINT_KEY_PERIOD_MS + 2,
      ),
    ).toBe('reserved');
    store.close();
    // A file from before keyed fingerprints: its plain digests are dropped at open.
    const legacy = join(dir.path, 'legacy.db');
    const old = new Database(legacy);
    old.exec(`CREATE TABLE idempotency (subject TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject, key)) WITHOUT ROWID`);
    old
      .prepare(
        "INSERT INTO idempotency VALUES ('svc', 'k', 'POST /v1/threads plain-sha256-digest', 201, '{}', ?)",
      )
      .run(t0);
    old.close();
    new IdempotencyStore(legacy).close();
    expect(filesHolding(dir.path, ['plain-sha256-digest'])).toEqual([]);
    await dir.remove();
  });
});
