import { describe, expect, it } from 'vitest';
import { A, ADM, callServer, useHttpServer, W } from '../support/httpServerFixture.js';
import { rpcOverSocket } from '../support/rpcOverSocket.js';

/**
 * The roles of `/v1`, through a real listening server: a writer writes and reads back what it
 * wrote (threads, lists, subtrees, the status of a deletion); an auditor reads everything recorded
 * (history, the event stream, the deletion records, metrics); an admin includes every role and
 * operates the server.
 */
describe('roles, through a real listening server', () => {
  const s = useHttpServer();

  const call = callServer(() => s.base);

  const started = async (token = W, body: Record<string, unknown> = {}) => {
    const r = await call('POST', '/v1/threads', token, {
      cwd: '/w',
      modelProvider: 'openai',
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { threadId: string; position: string };
  };

  type Who = 'none' | 'writer' | 'auditor' | 'admin';
  const tokenOf: Record<Who, string | null> = { none: null, writer: W, auditor: A, admin: ADM };
  const WHO: readonly Who[] = ['none', 'writer', 'auditor', 'admin'];

  /** The roles that pass each route, and a request to it (made on a fresh thread for each caller). */
  type Row = {
    route: string;
    passes: readonly Who[];
    request: () => Promise<[method: string, path: string, body?: unknown]>;
  };
  const writers = ['writer', 'admin'] as const;
  const readers = ['writer', 'auditor', 'admin'] as const;
  const auditors = ['auditor', 'admin'] as const;
  const admins = ['admin'] as const;
  const everyone = WHO;
  const fresh = async () => (await started(ADM)).threadId;
  const deleted = async () => {
    const id = await fresh();
    expect((await call('DELETE', `/v1/threads/${id}`, ADM)).status).toBe(202);
    return id;
  };
  const spec = { cwd: '/w', modelProvider: 'openai' };
  const completed = async () => {
    const id = await fresh();
    expect((await call('DELETE', `/v1/threads/${id}?wait=5000`, ADM)).status).toBe(200);
    return id;
  };

  const MATRIX: readonly Row[] = [
    {
      route: 'POST /v1/threads',
      passes: writers,
      request: async () => ['POST', '/v1/threads', spec],
    },
    {
      route: 'POST /v1/threads/{id}/subagents',
      passes: writers,
      request: async () => ['POST', `/v1/threads/${await fresh()}/subagents`, spec],
    },
    {
      route: 'POST /v1/threads/{id}/name',
      passes: writers,
      request: async () => ['POST', `/v1/threads/${await fresh()}/name`, { name: 'n' }],
    },
    {
      route: 'POST /v1/threads/{id}/archive',
      passes: writers,
      request: async () => ['POST', `/v1/threads/${await fresh()}/archive`],
    },
    {
      route: 'POST /v1/threads/{id}/unarchive',
      passes: writers,
      request: async () => {
        const id = await fresh();
        expect((await call('POST', `/v1/threads/${id}/archive`, ADM)).status).toBe(200);
        return ['POST', `/v1/threads/${id}/unarchive`];
      },
    },
    {
      route: 'DELETE /v1/threads/{id}',
      passes: writers,
      request: async () => ['DELETE', `/v1/threads/${await fresh()}`],
    },
    { route: 'GET /v1/threads', passes: readers, request: async () => ['GET', '/v1/threads'] },
    {
      route: 'GET /v1/threads/{id}',
      passes: readers,
      request: async () => ['GET', `/v1/threads/${await fresh()}`],
    },
    {
      route: 'GET /v1/threads/{id}/subtree',
      passes: readers,
      request: async () => ['GET', `/v1/threads/${await fresh()}/subtree`],
    },
    {
      route: 'GET /v1/deletions/{id}',
      passes: readers,
      request: async () => ['GET', `/v1/deletions/${await deleted()}`],
    },
    {
      route: 'GET /v1/threads/{id}/history',
      passes: auditors,
      request: async () => ['GET', `/v1/threads/${await fresh()}/history`],
    },
    { route: 'GET /v1/deletions', passes: auditors, request: async () => ['GET', '/v1/deletions'] },
    {
      route: 'GET /v1/deletions/stats',
      passes: auditors,
      request: async () => ['GET', '/v1/deletions/stats'],
    },
    {
      route: 'GET /v1/audit/threads',
      passes: auditors,
      request: async () => ['GET', '/v1/audit/threads'],
    },
    {
      route: 'GET /v1/evidence/verification',
      passes: auditors,
      request: async () => ['GET', '/v1/evidence/verification'],
    },
    { route: 'GET /v1/events', passes: auditors, request: async () => ['GET', '/v1/events'] },
    { route: 'GET /metrics', passes: auditors, request: async () => ['GET', '/metrics'] },
    {
      route: 'GET /v1/evidence/key',
      passes: auditors,
      request: async () => ['GET', '/v1/evidence/key'],
    },
    {
      route: 'GET /v1/evidence/checkpoint',
      passes: auditors,
      request: async () => {
        await fresh();
        return ['GET', '/v1/evidence/checkpoint'];
      },
    },
    {
      route: 'GET /v1/evidence/checkpoints',
      passes: auditors,
      request: async () => ['GET', '/v1/evidence/checkpoints'],
    },
    {
      route: 'GET /v1/evidence/consistency',
      passes: auditors,
      request: async () => {
        await fresh();
        return ['GET', '/v1/evidence/consistency?from=1&to=1'];
      },
    },
    {
      route: 'GET /v1/evidence/inclusion',
      passes: auditors,
      request: async () => {
        const { position } = await started(ADM);
        return ['GET', `/v1/evidence/inclusion?position=${position}`];
      },
    },
    {
      route: 'GET /v1/deletions/{id}/receipt',
      passes: auditors,
      request: async () => ['GET', `/v1/deletions/${await completed()}/receipt`],
    },
    {
      route: 'POST /v1/admin/rebuild',
      passes: admins,
      request: async () => ['POST', '/v1/admin/rebuild'],
    },
    { route: 'GET /healthz', passes: everyone, request: async () => ['GET', '/healthz'] },
    { route: 'GET /openapi.json', passes: everyone, request: async () => ['GET', '/openapi.json'] },
  ];

  /** What a caller gets: 2xx where its role passes; else 401 without a token, 403 with one. */
  const expected = (row: Row, who: Who): '2xx' | 401 | 403 =>
    row.passes.includes(who) ? '2xx' : who === 'none' ? 401 : 403;
  const classOf = (status: number): '2xx' | number =>
    status >= 200 && status < 300 ? '2xx' : status;

  it('answers every route for no token, a writer, an auditor and an admin as the roles say', async () => {
    const seen: string[] = [];
    const want: string[] = [];
    for (const row of MATRIX) {
      for (const who of WHO) {
        const [method, path, body] = await row.request();
        const r = await call(method, path, tokenOf[who], body);
        seen.push(`${row.route} as ${who}: ${classOf(r.status)}`);
        want.push(`${row.route} as ${who}: ${expected(row, who)}`);
        if (r.status === 403) {
          expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(r.body).toMatchObject({
            type: 'https://thread-ledger.dev/problems/forbidden',
            rolesNeeded:
              row.passes.length === 1 ? ['admin'] : row.passes.filter((x) => x !== 'admin'),
          });
        }
      }
    }
    expect(seen).toEqual(want);
  });

  it('refuses a token it does not know, on every route that needs one', async () => {
    for (const row of MATRIX.filter((x) => x.passes !== everyone)) {
      const [method, path, body] = await row.request();
      const r = await call(method, path, 'not-a-valid-token-at-all', body);
      expect(r.status, row.route).toBe(401);
    }
  });

  it('says, when it refuses, which role the request needs, that admin includes every role, and what the caller has', async () => {
    const t = await started();
    const history = await call('GET', `/v1/threads/${t.threadId}/history`, W);
    expect(history.status).toBe(403);
    expect(history.body).toMatchObject({
      title: 'Not allowed',
      detail:
        'GET /v1/threads/:id/history needs the auditor role (admin includes every role); svc-orders has writer',
      rolesNeeded: ['auditor'],
      roles: ['writer'],
    });
    const start = await call('POST', '/v1/threads', A, { cwd: '/w', modelProvider: 'openai' });
    expect(start.body.detail).toBe(
      'POST /v1/threads needs the writer role (admin includes every role); alice-audit has auditor',
    );
    const rebuild = await call('POST', '/v1/admin/rebuild', W);
    expect(rebuild.body.detail).toBe(
      'POST /v1/admin/rebuild needs the admin role; svc-orders has writer',
    );
  });

  it('lets a writer read back what it wrote: its thread at the position of its write, in the list, its subtree, and its deletion until done', async () => {
    const t = await started(W, { name: 'orders' });
    const got = await call('GET', `/v1/threads/${t.threadId}?minPosition=${t.position}`, W);
    expect(got.status).toBe(200);
    expect(got.body.thread).toMatchObject({ id: t.threadId, name: 'orders' });

    const renamed = await call('POST', `/v1/threads/${t.threadId}/name`, W, { name: 'orders 2' });
    expect(renamed.status).toBe(200);
    const again = await call(
      'GET',
      `/v1/threads/${t.threadId}?minPosition=${renamed.body.position}`,
      W,
    );
    expect(again.body.thread.name).toBe('orders 2');

    const child = await call('POST', `/v1/threads/${t.threadId}/subagents`, W, spec);
    expect(child.status).toBe(201);
    const listed = await call('GET', `/v1/threads?minPosition=${child.body.position}`, W);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((x: { id: string }) => x.id)).toEqual(
      expect.arrayContaining([t.threadId, child.body.threadId]),
    );
    const subtree = await call(
      'GET',
      `/v1/threads/${t.threadId}/subtree?minPosition=${child.body.position}`,
      W,
    );
    expect(subtree.status).toBe(200);
    expect(JSON.stringify(subtree.body.descendants)).toContain(child.body.threadId);

    const del = await call('DELETE', `/v1/threads/${t.threadId}?reason=done`, W);
    expect(del.status).toBe(202);
    const location = del.headers.get('location')!;
    expect(location).toBe(`/v1/deletions/${t.threadId}`);
    let status = '';
    for (let i = 0; i < 200 && status !== 'deleted'; i++) {
      const polled = await call('GET', `${location}?minPosition=${del.body.deletion.position}`, W);
      expect(polled.status).toBe(200);
      status = polled.body.deletion.status;
      if (status !== 'deleted') await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe('deleted');
    expect((await call('GET', `/v1/threads/${t.threadId}`, W)).status).toBe(410);
    // The records of every deletion, and what was recorded, stay with auditors.
    expect((await call('GET', '/v1/deletions', W)).status).toBe(403);
    expect((await call('GET', `/v1/threads/${t.threadId}/history`, W)).status).toBe(403);
    expect((await call('GET', `/v1/threads/${t.threadId}/history`, A)).status).toBe(200);
  });

  it('lets an admin do what a writer and an auditor do', async () => {
    const t = await started(ADM);
    expect(
      (await call('GET', `/v1/threads/${t.threadId}?minPosition=${t.position}`, ADM)).status,
    ).toBe(200);
    expect((await call('GET', `/v1/threads/${t.threadId}/history`, ADM)).status).toBe(200);
    expect((await call('DELETE', `/v1/threads/${t.threadId}?wait=5000`, ADM)).status).toBe(200);
    expect((await call('GET', `/v1/deletions/${t.threadId}`, ADM)).body.deletion.status).toBe(
      'deleted',
    );
  });

  it('gives the JSON-RPC socket the same roles: reads for writers and auditors, changes for writers, admin both', async () => {
    const t = await started(W, { sourceKind: 'cli' });
    const rpcAs = (token: string, method: string, params: unknown) =>
      rpcOverSocket(s.base, token, method, params);
    const read = { threadId: t.threadId };
    for (const token of [W, A, ADM])
      expect((await rpcAs(token, 'thread/read', read)).result.thread.id).toBe(t.threadId);
    const rename = (name: string) => ({ threadId: t.threadId, name });
    expect((await rpcAs(W, 'thread/name/set', rename('a'))).result).toEqual({});
    expect((await rpcAs(ADM, 'thread/name/set', rename('b'))).result).toEqual({});
    expect((await rpcAs(A, 'thread/name/set', rename('c'))).error.message).toBe(
      'thread/name/set needs the writer role (admin includes every role); alice-audit has auditor',
    );
  });
});
