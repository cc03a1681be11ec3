import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as D from '../../src/api/http/deletionShapes.js';
import { IDEMPOTENCY_RETENTION_MS, IdempotencyStore } from '../../src/api/http/idempotencyStore.js';
import * as R from '../../src/api/http/responses.js';
import { buildServer } from '../../src/api/server.js';
import { readLog } from '../support/log.js';
import { tempDir } from '../support/tempDir.js';
import { startedData } from '../support/threads.js';

/** The answer is what the OpenAPI document says it is: decoded by the codec the document comes from. */
const conforms = (codec: t.Mixed, value: unknown) => {
  const r = codec.decode(value);
  return E.isRight(r) ? [] : PathReporter.report(r);
};

import { A, ADM, TOKENS, W } from '../support/httpServerFixture.js';
import { type Fixture, ledgerFixture } from '../support/ledgerFixture.js';

describe('HTTP API, through a real listening server', () => {
  let f: Fixture;
  let app: FastifyInstance;
  let base: string;

  const start = async () => {
    app = await buildServer(f.ledger, {
      tokens: TOKENS,
      dataDir: join(f.dir, 'data'),
      clock: () => f.clock.now,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  };
  beforeEach(async () => {
    f = await ledgerFixture();
    f.ledger.runner.start();
    f.ledger.workerLoop.start();
    await start();
  });
  afterEach(async () => {
    await app.close();
    await f.close();
  });

  const call = async (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* text */
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const newThread = async (body: Record<string, unknown> = {}) => {
    const r = await call('POST', '/v1/threads', W, { cwd: '/w', modelProvider: 'openai', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { threadId: string; position: string };
  };

  it('runs the whole lifecycle: start, spawn, rename, archive, delete, and shows the record to an auditor', async () => {
    const root = await newThread({ name: 'Quarterly report', preview: 'hello' });
    const child = await call('POST', `/v1/threads/${root.threadId}/subagents`, W, {
      cwd: '/w',
      modelProvider: 'openai',
    });
    expect(child.status).toBe(201);
    const renamed = await call('POST', `/v1/threads/${root.threadId}/name`, W, {
      name: '  Q3 report ',
    });
    expect(renamed.body).toEqual({ threadId: root.threadId, position: expect.any(String) });

    const got = await call(
      'GET',
      `/v1/threads/${root.threadId}?minPosition=${renamed.body.position}`,
      A,
    );
    expect(got.status).toBe(200);
    expect(got.body.thread).toMatchObject({
      id: root.threadId,
      name: 'Q3 report',
      preview: 'hello',
      archived: false,
    });
    expect(conforms(R.OneThread, got.body)).toEqual([]);
    expect(
      conforms(R.ThreadPage, (await call('GET', '/v1/threads?sourceKinds=appServer', A)).body),
    ).toEqual([]);
    expect(conforms(R.Renamed, renamed.body)).toEqual([]);
    expect(conforms(R.Spawned, child.body)).toEqual([]);
    expect(
      conforms(R.Subtree, (await call('GET', `/v1/threads/${root.threadId}/subtree`, A)).body),
    ).toEqual([]);

    expect((await call('POST', `/v1/threads/${root.threadId}/archive`, W)).body.threadIds).toEqual([
      root.threadId,
      child.body.threadId,
    ]);
    expect((await call('POST', `/v1/threads/${root.threadId}/unarchive`, W)).status).toBe(200);

    const accepted = await call(
      'DELETE',
      `/v1/threads/${root.threadId}?reason=gdpr`,
      W,
      undefined,
      { 'x-request-id': 'req-delete-1' },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.body.deletion).toMatchObject({
      id: root.threadId,
      threadIds: [root.threadId, child.body.threadId],
    });
    expect(accepted.headers.get('location')).toBe(`/v1/deletions/${root.threadId}`);

    const gone = await call(
      'GET',
      `/v1/threads/${root.threadId}?minPosition=${accepted.body.deletion.position}`,
      A,
    );
    expect(gone.status).toBe(410);
    expect(gone.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(gone.body).toMatchObject({
      type: 'https://thread-ledger.dev/problems/gone',
      threadId: root.threadId,
      deletion: {
        requestedBy: 'svc-orders',
        requestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        href: `/v1/deletions/${root.threadId}`,
      },
    });
    expect(conforms(R.Gone, gone.body)).toEqual([]);
    expect(JSON.stringify(gone.body)).not.toContain('Q3');

    for (let i = 0; i < 100; i++) {
      const d = await call('GET', `/v1/deletions/${root.threadId}`, A);
      if (d.body.deletion?.status === 'deleted') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deletion = await call('GET', `/v1/deletions/${root.threadId}`, A);
    expect(deletion.body.deletion).toMatchObject({
      status: 'deleted',
      reason: 'gdpr',
      requestedBy: 'svc-orders',
      requestId: 'req-delete-1',
    });
    expect(conforms(D.OneDeletion, deletion.body)).toEqual([]);
    expect(conforms(R.DeletionAccepted, accepted.body)).toEqual([]);
    expect(conforms(R.Problem, gone.body)).toEqual([]);
    expect(conforms(D.Deletions, (await call('GET', '/v1/deletions', A)).body)).toEqual([]);
    expect(
      deletion.body.deletion.threads.map((t: { threadId: string; steps: { step: string }[] }) => [
        t.threadId,
        t.steps.map((s) => s.step),
      ]),
    ).toEqual([
      [root.threadId, ['content']],
      [child.body.threadId, ['content']],
    ]);
    // One row per request: the root's, covering the child too.
    expect(
      (await call('GET', '/v1/deletions?status=deleted', A)).body.data.map(
        (d: { id: string; threadCount: number }) => [d.id, d.threadCount],
      ),
    ).toEqual([[root.threadId, 2]]);

    const history = await call('GET', `/v1/threads/${root.threadId}/history`, A);
    expect(conforms(R.History, history.body)).toEqual([]);
    const types = history.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual([
      'ThreadStarted',
      'SubagentSpawned',
      'ThreadRenamed',
      'ThreadArchived',
      'ThreadUnarchived',
      'ThreadDeleteRequested',
      'ThreadContentShredded',
      'ThreadDeleted',
    ]);
    const rename = history.body.events[2];
    expect(rename.data.name).toEqual({ sealed: expect.stringMatching(/^v1\./) });
    expect(rename.metadata).toMatchObject({ actor: 'svc-orders' });
    expect(history.body.events[5].metadata).toMatchObject({
      actor: 'svc-orders',
      requestId: 'req-delete-1',
    });
    expect(history.body.events[5].recordedAt).toBe(
      new Date(history.body.events[5].metadata.recordedAtMs).toISOString(),
    );
    expect(JSON.stringify(history.body)).not.toContain('Q3 report');
  });

  it('waits for the purge with ?wait', async () => {
    const t = await newThread();
    const r = await call('DELETE', `/v1/threads/${t.threadId}?wait=5000`, W);
    expect(r.status).toBe(200);
    expect(r.body.deletion.status).toBe('deleted');
  });

  it('refuses bad input with a problem that names the field, and writes nothing', async () => {
    const t = await newThread();
    const head = await f.ledger.store.headPosition();
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/v1/threads', { modelProvider: 'x' }, 400, 'validation', 'cwd'],
      ['POST', '/v1/threads', { cwd: 3, modelProvider: 'x' }, 400, 'validation', 'cwd'],
      [
        'POST',
        '/v1/threads',
        { cwd: '/w', modelProvider: 'x', threadId: 'nope' },
        400,
        'validation',
        'threadId',
      ],
      [
        'POST',
        '/v1/threads',
        { cwd: '/w', modelProvider: 'x', sourceKind: 'fax' },
        400,
        'validation',
        'sourceKind',
      ],
      ['POST', `/v1/threads/${t.threadId}/name`, { name: '   ' }, 400, 'invalid-name'],
      ['POST', `/v1/threads/${t.threadId}/name`, {}, 400, 'validation', 'name'],
      ['POST', '/v1/threads/not-a-uuid/archive', undefined, 400, 'validation', 'id'],
      ['POST', `/v1/threads/${t.threadId}/unarchive`, undefined, 409, 'not-archived'],
      [
        'POST',
        `/v1/threads/${'01a21371-4b35-72ca-ac7d-282102267fc9'}/archive`,
        undefined,
        404,
        'thread-not-found',
      ],
      ['GET', '/v1/threads?limit=0', undefined, 400, 'validation'],
      ['GET', '/v1/threads?sortKey=name', undefined, 400, 'validation', 'sortKey'],
      ['GET', '/v1/threads?cursor=zzz', undefined, 400, 'validation'],
      ['DELETE', `/v1/threads/${t.threadId}?wait=999999`, undefined, 400, 'validation', 'wait'],
      ['GET', '/v1/threads?minPosition=abc', undefined, 400, 'validation'],
      ['GET', '/v1/nothing-here', undefined, 404, 'route-not-found'],
    ];
    for (const [method, path, body, status, type, field] of cases) {
      const token = method === 'GET' ? A : W;
      const r = await call(method, path, token, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body.type).toBe(`https://thread-ledger.dev/problems/${type}`);
      expect(typeof r.body.detail).toBe('string');
      if (field) expect(JSON.stringify(r.body.errors ?? r.body.detail)).toContain(field);
    }
    const broken = await fetch(`${base}/v1/threads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json' },
      body: '{"cwd": ',
    });
    expect(broken.status).toBe(400);
    const huge = await call('POST', '/v1/threads', W, {
      cwd: 'x'.repeat(300_000),
      modelProvider: 'x',
    });
    expect(huge.status).toBe(413);
    expect(await f.ledger.store.headPosition()).toBe(head);
  });

  it('keeps no content in the answers it keeps for Idempotency-Key replays: a deleted name is in no file', async () => {
    const secret = `Board memo ${Date.now()}`;
    const t = await newThread({ name: secret });
    const renamed = await call(
      'POST',
      `/v1/threads/${t.threadId}/name`,
      W,
      { name: `${secret} v2` },
      { 'idempotency-key': 'rename-1' },
    );
    expect(renamed.status).toBe(200);
    expect((await call('DELETE', `/v1/threads/${t.threadId}?wait=5000`, W)).status).toBe(200);
    const dataDir = join(f.dir, 'data');
    const holding = readdirSync(dataDir).filter((file) =>
      readFileSync(join(dataDir, file)).includes(Buffer.from('Board memo')),
    );
    expect(holding).toEqual([]);
  });

  it('answers a retried command with the first answer, appending nothing, even after a restart', async () => {
    const send = (body: unknown) =>
      call('POST', '/v1/threads', W, body, { 'idempotency-key': 'create-42' });
    const first = await send({ cwd: '/w', modelProvider: 'openai' });
    expect(first.status).toBe(201);
    const head = await f.ledger.store.headPosition();
    const again = await send({ cwd: '/w', modelProvider: 'openai' });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await f.ledger.store.headPosition()).toBe(head);
    expect((await send({ cwd: '/other', modelProvider: 'openai' })).status).toBe(422);

    await app.close();
    await f.ledger.close();
    f.reopen();
    f.ledger.runner.start();
    f.ledger.workerLoop.start();
    await start();
    const afterRestart = await send({ cwd: '/w', modelProvider: 'openai' });
    expect(afterRestart.body).toEqual(first.body);
    expect(await f.ledger.store.headPosition()).toBe(head);

    // Concurrent retries with a new key: one runs; the others wait their turn or replay it.
    const racing = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(
          'POST',
          '/v1/threads',
          W,
          { cwd: '/race', modelProvider: 'openai' },
          { 'idempotency-key': 'race-1' },
        ),
      ),
    );
    const created = new Set(racing.filter((r) => r.status === 201).map((r) => r.body.threadId));
    expect(created.size).toBe(1);
    expect(
      racing.every(
        (r) =>
          r.status === 201 || (r.status === 409 && r.body.type.endsWith('/idempotency-key-in-use')),
      ),
    ).toBe(true);
    const position = racing.find((r) => r.status === 201)!.body.position;
    const raced = (
      await call('GET', `/v1/threads?cwd=/race&sourceKinds=appServer&minPosition=${position}`, A)
    ).body.data;
    expect(raced).toHaveLength(1);
  });

  it('answers a retry that reaches another instance (its own http.db) as the first, for every command, appending nothing', async () => {
    const other = await tempDir();
    const second = await buildServer(f.ledger, {
      tokens: TOKENS,
      dataDir: other.path,
      clock: () => f.clock.now,
    });
    const secondBase = await second.listen({ host: '127.0.0.1', port: 0 });
    try {
      const on = (url: string, method: string, path: string, body: unknown, key: string) =>
        fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${W}`,
            'idempotency-key': key,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as any,
          replayed: r.headers.get('idempotent-replayed'),
        }));
      // Each command once through the first instance, then its retry through the second.
      // What requests append (the background worker's purge steps are not theirs).
      const commandEvents = async () =>
        (await readLog(f.ledger)).filter((e) => e.metadata.actor === 'svc-orders').length;
      const both = async (method: string, path: string, body: unknown, key: string) => {
        const first = await on(base, method, path, body, key);
        expect(first.status, JSON.stringify(first.body)).toBeLessThan(300);
        const appended = await commandEvents();
        const retry = await on(secondBase, method, path, body, key);
        expect(retry, `${method} ${path}`).toEqual({ ...first, replayed: 'true' });
        expect(await commandEvents(), `${method} ${path}`).toBe(appended);
        return first.body;
      };
      const request = { cwd: '/lb', modelProvider: 'openai', name: 'behind a load balancer' };
      const root = (await both('POST', '/v1/threads', request, 'lb-1')).threadId as string;
      await both(
        'POST',
        `/v1/threads/${root}/subagents`,
        { cwd: '/lb', modelProvider: 'openai' },
        'lb-2',
      );
      await both('POST', `/v1/threads/${root}/name`, { name: 'renamed once' }, 'lb-3');
      const archived = await both('POST', `/v1/threads/${root}/archive`, undefined, 'lb-4');
      expect(archived.threadIds).toHaveLength(2);
      await both('POST', `/v1/threads/${root}/unarchive`, undefined, 'lb-5');
      // A subagent spawned after an archive is not part of that archive's retry.
      const archivedAgain = (
        await on(base, 'POST', `/v1/threads/${root}/archive`, undefined, 'lb-7')
      ).body;
      const late = await on(
        base,
        'POST',
        `/v1/threads/${root}/subagents`,
        { cwd: '/lb', modelProvider: 'openai' },
        'lb-8',
      );
      expect(late.status).toBe(201);
      const retried = await on(
        secondBase,
        'POST',
        `/v1/threads/${root}/archive`,
        undefined,
        'lb-7',
      );
      expect(retried.body).toEqual(archivedAgain);
      expect((await f.ledger.repo.load(late.body.threadId)).state.archived).toBe(false);
      await both('POST', `/v1/threads/${root}/unarchive`, undefined, 'lb-9');
      // A key this caller used before on a descendant (here, for a rename through the first
      // instance) does not stop a cascade half-way when reused for a delete through the second.
      const child = (await f.ledger.repo.load(root as never)).state.children[0]!;
      expect(
        (await on(base, 'POST', `/v1/threads/${child}/name`, { name: 'child' }, 'lb-10')).status,
      ).toBe(200);
      const deleted = await on(secondBase, 'DELETE', `/v1/threads/${root}`, undefined, 'lb-10');
      expect(deleted.status).toBe(202);
      expect(deleted.body.deletion.threadIds).toHaveLength(3);
      expect((await f.ledger.repo.load(child)).state.status).not.toBe('live');

      // The same key with another request is refused there too, and changes nothing.
      const appended = await commandEvents();
      const reused = await on(
        secondBase,
        'POST',
        '/v1/threads',
        { ...request, cwd: '/elsewhere' },
        'lb-1',
      );
      expect(reused.status).toBe(422);
      expect(reused.body.type).toMatch(/idempotency-key-reused$/);
      expect(await commandEvents()).toBe(appended);
      const log = await readLog(f.ledger);
      expect(
        log.filter((e) => e.event.type === 'ThreadStarted' && e.event.data.cwd === '/lb'),
      ).toHaveLength(3);
      expect(
        log.filter((e) => e.event.type === 'ThreadRenamed' && e.streamId === `thread-${root}`),
      ).toHaveLength(1);
    } finally {
      await second.close();
      await other.remove();
    }
  });

  it('does not hold a key forever for a request a crash interrupted, nor an answer past a day', async () => {
    const dir = await tempDir();
    const file = join(dir.path, 'http.db');
    const a = new IdempotencyStore(file);
    expect(a.reserve('svc', 'k', 'fp', 1)).toBe('reserved');
    a.close(); // the process dies here, mid-request
    const b = new IdempotencyStore(file);
    expect(b.reserve('svc', 'k', 'fp', 2)).toBe('reserved');
    b.remember('svc', 'k', { status: 201, body: { threadId: 't' } });
    expect(b.reserve('svc', 'k', 'fp', 3)).toEqual({ status: 201, body: { threadId: 't' } });
    // A day later the answer (and the fingerprint of its request) is forgotten.
    expect(b.reserve('svc', 'k', 'fp', 2 + IDEMPOTENCY_RETENTION_MS + 1)).toBe('reserved');
    b.close();
    await dir.remove();
  });

  it('streams lifecycle events as SSE, and resumes from Last-Event-ID with nothing lost or repeated', async () => {
    type Sse = {
      id: string;
      event: string;
      data: { threadId: string; type: string; position: string };
    };
    const read = async (headers: Record<string, string>, until: (events: Sse[]) => boolean) => {
      const ctl = new AbortController();
      const res = await fetch(`${base}/v1/events`, {
        headers: { authorization: `Bearer ${A}`, ...headers },
        signal: ctl.signal,
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events: Sse[] = [];
      let buf = '';
      const reader = res.body!.getReader();
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          );
          if (fields['id'])
            events.push({
              id: fields['id'],
              event: fields['event']!,
              data: JSON.parse(fields['data']!),
            });
        }
      }
      ctl.abort();
      return events;
    };
    const a = await newThread();
    const b = await newThread();
    const first = await read({}, (e) => e.length >= 2);
    expect(first.map((e) => e.data.threadId)).toEqual([a.threadId, b.threadId]);
    expect(first.map((e) => e.event)).toEqual(['ThreadStarted', 'ThreadStarted']);
    const c = await newThread();
    await call('DELETE', `/v1/threads/${a.threadId}`, W);
    const resumed = await read({ 'last-event-id': first[1]!.id }, (e) =>
      e.some((x) => x.event === 'ThreadDeleteRequested'),
    );
    expect(resumed[0]!.data.threadId).toBe(c.threadId);
    expect(resumed.map((e) => e.id)).not.toContain(first[1]!.id);
    const ids = [...first, ...resumed].map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1)));
    expect((await call('GET', '/v1/events', A, undefined, { 'last-event-id': 'x' })).status).toBe(
      400,
    );
  });

  it('keeps streaming to every SSE client while one of them stalls', async () => {
    // The stalled client: connected, then never reads, so the server's writes to it back up.
    const stalled = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      request(`${base}/v1/events`, { headers: { authorization: `Bearer ${A}` } }, (res) => {
        res.pause();
        resolve(res);
      }).end(),
    );
    const many = Array.from({ length: 3000 }, () =>
      startedData({ preview: 'x'.repeat(2000), createdAtMs: f.clock.now++ }),
    );
    await f.ledger.keys.ensure(many.map((t) => t.threadId));
    await Promise.all(
      many.map((t) =>
        f.ledger.lifecycle.start(t, { actor: 'test', requestId: 'bulk', causationId: null }),
      ),
    );
    const last = many.at(-1)!.threadId;
    // A second client still gets everything, to the last event, while the first one is stuck.
    const res = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${A}` } });
    const reader = res.body!.getReader();
    let text = '';
    let bytes = 0;
    while (!text.includes(last)) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
      text = text.slice(-10_000) + new TextDecoder().decode(value);
    }
    expect(text).toContain(last);
    expect(bytes).toBeGreaterThan(8_000_000); // far more than any socket buffer holds for the stalled one
    await reader.cancel();
    stalled.destroy();
  });

  it('speaks the JSON-RPC over WebSocket, pushing notifications to every connected client', async () => {
    const connect = async (token: string) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/rpc`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const messages: any[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('error', j);
      });
      const rpc = (id: number, method: string, params: unknown) => {
        ws.send(JSON.stringify({ id, method, params }));
        return waitFor(() => messages.find((m) => m.id === id));
      };
      return { ws, messages, rpc };
    };
    const waitFor = async <T>(get: () => T | undefined): Promise<T> => {
      for (let i = 0; i < 200; i++) {
        const v = get();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('timed out');
    };
    const t = await newThread({ sourceKind: 'cli' });
    const writer = await connect(W);
    const auditor = await connect(A);
    expect(
      (await auditor.rpc(1, 'thread/list', {})).result.data.map((x: { id: string }) => x.id),
    ).toContain(t.threadId);
    expect((await auditor.rpc(2, 'thread/delete', { threadId: t.threadId })).error.message).toMatch(
      /needs the writer role/,
    );
    expect(
      (await writer.rpc(3, 'thread/name/set', { threadId: t.threadId, name: 'via ws' })).result,
    ).toEqual({});
    const seen = await waitFor(() =>
      auditor.messages.find((m) => m.method === 'thread/name/updated'),
    );
    expect(seen.params).toEqual({ threadId: t.threadId, threadName: 'via ws' });
    expect((await writer.rpc(4, 'thread/delete', { threadId: t.threadId })).result).toEqual({});
    await waitFor(() =>
      auditor.messages.find(
        (m) => m.method === 'thread/deleted' && m.params.threadId === t.threadId,
      ),
    );
    const history = await call('GET', `/v1/threads/${t.threadId}/history`, A);
    expect(
      history.body.events.find((e: { type: string }) => e.type === 'ThreadDeleteRequested').metadata
        .actor,
    ).toBe('svc-orders');
    // A deletion no socket asked for (over HTTP, finished by the background worker): every
    // client hears each thread of it once, the child before the parent.
    const parent = await newThread({ sourceKind: 'cli' });
    const spawned = await call('POST', `/v1/threads/${parent.threadId}/subagents`, W, {
      cwd: '/w',
      modelProvider: 'openai',
    });
    expect(spawned.status, JSON.stringify(spawned.body)).toBe(201);
    expect((await call('DELETE', `/v1/threads/${parent.threadId}`, W)).status).toBe(202);
    const deletedOn = (c: { messages: any[] }) =>
      c.messages
        .filter(
          (m) =>
            m.method === 'thread/deleted' &&
            [parent.threadId, spawned.body.threadId].includes(m.params.threadId),
        )
        .map((m) => m.params.threadId);
    for (const c of [writer, auditor])
      await waitFor(() => (deletedOn(c).length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    for (const c of [writer, auditor])
      expect(deletedOn(c)).toEqual([spawned.body.threadId, parent.threadId]);
    expect(
      auditor.messages.filter(
        (m) => m.method === 'thread/deleted' && m.params.threadId === t.threadId,
      ),
    ).toHaveLength(1);
    writer.ws.close();
    auditor.ws.close();
    const refused = new WebSocket(`${base.replace('http', 'ws')}/rpc`);
    const status = await new Promise((r) =>
      refused.once('unexpected-response', (_req, res) => r(res.statusCode)),
    );
    expect(status).toBe(401);
  });

  it('with no tokens, serves local callers only: a web page (a foreign Origin) is refused', async () => {
    const open = await buildServer(f.ledger, { dataDir: join(f.dir, 'data') });
    const url = await open.listen({ host: '127.0.0.1', port: 0 });
    expect((await fetch(`${url}/v1/threads`)).status).toBe(200);
    expect(
      (await fetch(`${url}/v1/threads`, { headers: { origin: 'http://127.0.0.1:3000' } })).status,
    ).toBe(200);
    const cross = await fetch(
      `${url}/v1/threads/${'01a21371-4b35-72ca-ac7d-282102267fc9'}/archive`,
      { method: 'POST', headers: { origin: 'https://evil.example' } },
    );
    expect(cross.status).toBe(403);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/rpc`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(
      await new Promise((r) => ws.once('unexpected-response', (_req, res) => r(res.statusCode))),
    ).toBe(403);
    await open.close();
  });

  it('holds back a WebSocket client that stops reading (its requests wait, nothing piles up), serves the others, and drops it once 4 MiB of notifications wait', async () => {
    const many = Array.from({ length: 1000 }, () =>
      startedData({ sourceKind: 'cli', preview: 'p'.repeat(8000), createdAtMs: f.clock.now++ }),
    );
    await f.ledger.keys.ensure(many.map((t) => t.threadId));
    await Promise.all(
      many.map((t) =>
        f.ledger.lifecycle.start(t, { actor: 'test', requestId: 'bulk', causationId: null }),
      ),
    );
    await f.ledger.runner.catchUp();
    const open = async () => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/rpc`, {
        headers: { authorization: `Bearer ${A}` },
      });
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('error', j);
      });
      return ws;
    };
    const socketOf = (ws: WebSocket) =>
      (ws as unknown as { _socket: import('node:net').Socket })._socket;
    const stalled = await open();
    const closed = new Promise((r) => stalled.once('close', r));
    socketOf(stalled).pause(); // connected, never reading
    // Each page of 1,000 threads is about 8.5 MB: twenty of them would be 170 MB held for one client.
    for (let i = 0; i < 20; i++)
      stalled.send(JSON.stringify({ id: i, method: 'thread/list', params: { limit: 1000 } }));
    const healthy = await open();
    const answers: any[] = [];
    healthy.on('message', (d) => answers.push(JSON.parse(d.toString())));
    for (let i = 0; i < 3; i++) {
      healthy.send(JSON.stringify({ id: 100 + i, method: 'thread/list', params: { limit: 1000 } }));
      for (let w = 0; w < 1000 && !answers.some((m) => m.id === 100 + i); w++)
        await new Promise((r) => setTimeout(r, 10));
      expect(answers.find((m) => m.id === 100 + i)?.result.data).toHaveLength(1000);
    }
    // The stalled client's requests wait for it to read: one page went out, the rest were not built.
    const sockets = [...(app.websocketServer.clients as Set<WebSocket>)];
    const server = sockets.find((s) => s.bufferedAmount > 0);
    expect(server?.bufferedAmount ?? 0).toBeLessThan(12 * 1024 * 1024);
    // A notification it cannot take any more (more than 4 MiB wait for it): it is dropped.
    expect((await call('DELETE', `/v1/threads/${many[0]!.threadId}`, W)).status).toBe(202);
    const received: unknown[] = [];
    stalled.on('message', (d) => received.push(d));
    socketOf(stalled).resume();
    await closed;
    expect(received.length).toBeLessThan(20);
    expect(
      answers.filter((m) => m.method === 'thread/deleted' || m.id >= 100).length,
    ).toBeGreaterThanOrEqual(3);
    healthy.close();
  });

  it('answers every request of a pipelining WebSocket client that reads slowly, one page at a time', async () => {
    const many = Array.from({ length: 300 }, () =>
      startedData({ sourceKind: 'cli', preview: 'q'.repeat(8000), createdAtMs: f.clock.now++ }),
    );
    await f.ledger.keys.ensure(many.map((t) => t.threadId));
    await Promise.all(
      many.map((t) =>
        f.ledger.lifecycle.start(t, { actor: 'test', requestId: 'bulk', causationId: null }),
      ),
    );
    await f.ledger.runner.catchUp();
    const ws = new WebSocket(`${base.replace('http', 'ws')}/rpc`, {
      headers: { authorization: `Bearer ${A}` },
    });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const ids = new Set<number>();
    ws.on('message', (d) => ids.add(JSON.parse(d.toString()).id));
    for (let i = 0; i < 40; i++)
      ws.send(JSON.stringify({ id: i, method: 'thread/list', params: { limit: 300 } }));
    await new Promise((r) => setTimeout(r, 300));
    socket.resume();
    for (let w = 0; w < 2000 && ids.size < 40; w++) await new Promise((r) => setTimeout(r, 10));
    expect(ids.size).toBe(40);
    expect(ws.readyState).toBe(ws.OPEN);
    ws.close();
  });

  it('limits requests per token, and one busy token does not use up another one', async () => {
    const limited = await buildServer(f.ledger, {
      tokens: TOKENS,
      dataDir: join(f.dir, 'data'),
      rateLimitPerMinute: 3,
    });
    const url = await limited.listen({ host: '127.0.0.1', port: 0 });
    const get = (token: string) =>
      fetch(`${url}/v1/threads`, { headers: { authorization: `Bearer ${token}` } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(A)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await get(A);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await refused.json()).type).toBe('https://thread-ledger.dev/problems/rate-limited');
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await get(W)).status).toBe(200); // another token still gets through
    await limited.close();
  });

  it('publishes an OpenAPI document derived from the request codecs, a docs page, metrics and readiness', async () => {
    const doc = (await call('GET', '/openapi.json', null)).body;
    const start = doc.paths['/v1/threads'].post;
    const schema = start.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['cwd', 'modelProvider']);
    expect(schema.properties.threadId).toEqual({ type: 'string', format: 'uuid' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/threads/{id}',
        '/v1/deletions/{id}',
        '/v1/threads/{id}/history',
      ]),
    );
    expect(start['x-roles']).toContain('writer');
    expect(start.security).toEqual(start['x-roles'].map((r: string) => ({ bearer: [r] })));
    // Answers are documented too, errors as problem documents, from the response codecs.
    expect(start.responses['201'].content['application/json'].schema.required).toEqual([
      'threadId',
      'position',
    ]);
    const list = doc.paths['/v1/threads'].get.responses['200'].content['application/json'].schema;
    expect(list.properties.data.items.required).toEqual(
      expect.arrayContaining(['id', 'preview', 'sourceKind', 'createdAt', 'archived']),
    );
    expect(list.properties.data.items.properties.createdAt).toEqual({
      type: 'string',
      format: 'date-time',
    });
    expect(
      doc.paths['/v1/threads/{id}'].get.responses['4XX'].content['application/problem+json'].schema
        .required,
    ).toEqual(['type', 'title', 'status', 'detail']);
    const docs = await fetch(`${base}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const t = await newThread();
    // Ten renames of one thread at once: they race for the same revision, and the losers decide again.
    const renames = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', `/v1/threads/${t.threadId}/name`, W, { name: `n${i}` }),
      ),
    );
    expect(renames.every((r) => r.status === 200)).toBe(true);
    expect((await call('POST', `/v1/threads/${t.threadId}/unarchive`, W)).status).toBe(409);
    const metrics = await call('GET', '/metrics', ADM);
    expect(metrics.body).toContain(
      'thread_ledger_commands_total{type="RenameThread",outcome="applied"} 10',
    );
    expect(metrics.body).toContain(
      'thread_ledger_commands_total{type="UnarchiveThread",outcome="NotArchived"} 1',
    );
    expect(metrics.body).toMatch(/thread_ledger_append_conflicts_total [1-9]\d*/);
    expect(metrics.body).toContain('thread_ledger_deletions{status="pending"}');
    expect(metrics.body).toMatch(
      /thread_ledger_http_requests_total\{method="POST",route="\/v1\/threads",status="201"\} \d+/,
    );
    expect((await call('GET', '/readyz', null)).body).toMatchObject({ status: 'ready' });
  });
});
