import { describe, expect, it } from 'vitest';
import { A, callServer, useHttpServer, W } from '../support/httpServerFixture.js';
import { rpcOverSocket } from '../support/rpcOverSocket.js';

/**
 * `GET /v1/threads` as a service uses it: what it started and spawned over HTTP is listed by
 * default, a spawned subagent has a subagent kind, and every list-valued parameter takes its values
 * comma-separated or repeated.
 */
describe('the /v1 thread list and spawned source kinds, through a real listening server', () => {
  const s = useHttpServer();

  const call = callServer(() => s.base);
  const start = async (body: Record<string, unknown> = {}) => {
    const r = await call('POST', '/v1/threads', W, { cwd: '/w', modelProvider: 'openai', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { threadId: string; position: string };
  };
  const spawn = (parent: string, body: Record<string, unknown> = {}) =>
    call('POST', `/v1/threads/${parent}/subagents`, W, {
      cwd: '/w',
      modelProvider: 'openai',
      ...body,
    });
  /** The ids a list answers, once the read models have reached `position`. */
  const listed = async (query: string, position: string): Promise<string[]> => {
    const sep = query === '' ? '' : '&';
    const r = await call('GET', `/v1/threads?minPosition=${position}${sep}${query}`, A);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.data.map((t: { id: string }) => t.id);
  };

  it('lists threads of every source kind by default: those started over HTTP (appServer) and their subagents included', async () => {
    const service = await start();
    const cli = await start({ sourceKind: 'cli' });
    const exec = await start({ sourceKind: 'exec' });
    const child = await spawn(service.threadId);
    expect(child.status).toBe(201);
    const all = [child.body.threadId, exec.threadId, cli.threadId, service.threadId];
    expect(await listed('', child.body.position)).toEqual(all);
    expect(await listed('sourceKinds=', child.body.position)).toEqual(all);
    expect(await listed('sourceKinds=cli,exec', child.body.position)).toEqual([
      exec.threadId,
      cli.threadId,
    ]);
  });

  it("keeps Codex's interactive-only default on thread/list over the JSON-RPC socket", async () => {
    const service = await start();
    const cli = await start({ sourceKind: 'cli' });
    await listed('', cli.position); // read models caught up
    const listedOverRpc = await rpcOverSocket(s.base, A, 'thread/list', {});
    const ids = listedOverRpc.result.data.map((t: { id: string }) => t.id);
    expect(ids).toEqual([cli.threadId]);
    expect(ids).not.toContain(service.threadId);
  });

  it('labels a thread spawned over HTTP subAgentThreadSpawn on /v1, and with Codex thread_spawn source naming its parent over /rpc', async () => {
    const root = await start();
    const child = await spawn(root.threadId);
    expect(child.status).toBe(201);
    expect(await listed('sourceKinds=subAgentThreadSpawn', child.body.position)).toEqual([
      child.body.threadId,
    ]);
    const got = await call('GET', `/v1/threads/${child.body.threadId}`, A);
    expect(got.body.thread).toMatchObject({
      parentThreadId: root.threadId,
      sourceKind: 'subAgentThreadSpawn',
      depth: 1,
    });
    // Codex's own shape, over the JSON-RPC socket: the thread_spawn source naming its parent.
    const read = await rpcOverSocket(s.base, A, 'thread/read', { threadId: child.body.threadId });
    expect(read.result.thread).toMatchObject({
      parentThreadId: root.threadId,
      source: {
        subAgent: {
          thread_spawn: {
            parent_thread_id: root.threadId,
            depth: 1,
            agent_path: null,
            agent_nickname: null,
            agent_role: null,
          },
        },
      },
    });
  });

  it('keeps the subagent kind a spawn names, and refuses a kind that is not a subagent one with a 400 naming sourceKind, recording nothing', async () => {
    const root = await start();
    const review = await spawn(root.threadId, { sourceKind: 'subAgentReview' });
    expect(review.status).toBe(201);
    expect(await listed('sourceKinds=subAgentReview', review.body.position)).toEqual([
      review.body.threadId,
    ]);
    for (const sourceKind of ['appServer', 'cli', 'vscode', 'exec', 'unknown']) {
      const r = await spawn(root.threadId, { sourceKind });
      expect(r.status, sourceKind).toBe(400);
      expect(r.body).toMatchObject({
        type: 'https://thread-ledger.dev/problems/validation',
        detail: `a spawned thread is a subagent: sourceKind "${sourceKind}" is not a subagent kind (subAgentThreadSpawn when omitted)`,
        errors: [{ field: 'sourceKind', reason: 'must be a subagent kind on a spawn' }],
      });
    }
    const subtree = await call(
      'GET',
      `/v1/threads/${root.threadId}/subtree?minPosition=${review.body.position}`,
      A,
    );
    expect(subtree.body.descendants).toHaveLength(1);
  });

  it('takes every list-valued parameter comma-separated, repeated, or both; a comma inside a value is sent as %2C', async () => {
    const a = await start({ cwd: '/a', modelProvider: 'openai' });
    const b = await start({ cwd: '/b', modelProvider: 'ollama' });
    const comma = await start({ cwd: '/c,d', modelProvider: 'oss' });
    const p = comma.position;
    expect(await listed('cwd=/a,/b', p)).toEqual([b.threadId, a.threadId]);
    expect(await listed('cwd=/a&cwd=/b', p)).toEqual([b.threadId, a.threadId]);
    expect(await listed('cwd=/a', p)).toEqual([a.threadId]);
    expect(await listed('cwd=%2Fc%2Cd', p)).toEqual([comma.threadId]);
    expect(await listed('cwd=/c%2Cd,/a', p)).toEqual([comma.threadId, a.threadId]);
    expect(await listed('cwd=/c,d', p)).toEqual([]);
    expect(await listed('modelProviders=openai,oss', p)).toEqual([comma.threadId, a.threadId]);
    expect(await listed('modelProviders=openai&modelProviders=ollama', p)).toEqual([
      b.threadId,
      a.threadId,
    ]);
    expect(await listed(`excludedThreadIds=${a.threadId},${b.threadId}`, p)).toEqual([
      comma.threadId,
    ]);
    expect(
      await listed(`excludedThreadIds=${a.threadId}&excludedThreadIds=${b.threadId}`, p),
    ).toEqual([comma.threadId]);
    expect(await listed('sourceKinds=appServer&sourceKinds=cli,exec', p)).toHaveLength(3);
  });

  it('sorts by createdAt or updatedAt, the names its answers use, and pages on with the cursor it issued', async () => {
    const a = await start();
    s.f.clock.now += 1000;
    const b = await start();
    s.f.clock.now += 1000;
    const renamed = await call('POST', `/v1/threads/${a.threadId}/name`, W, { name: 'later' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const p = renamed.body.position ?? b.position;
    expect(await listed('sortKey=createdAt&sortDirection=asc', p)).toEqual([
      a.threadId,
      b.threadId,
    ]);
    expect(await listed('sortKey=updatedAt', p)).toEqual([a.threadId, b.threadId]);
    expect(await listed('sortKey=updatedAt&sortDirection=asc', p)).toEqual([
      b.threadId,
      a.threadId,
    ]);
    const first = await call('GET', `/v1/threads?minPosition=${p}&sortKey=updatedAt&limit=1`, A);
    expect(first.body.data.map((t: { id: string }) => t.id)).toEqual([a.threadId]);
    const next = await call(
      'GET',
      `/v1/threads?sortKey=updatedAt&limit=1&cursor=${first.body.nextCursor}`,
      A,
    );
    expect(next.body.data.map((t: { id: string }) => t.id)).toEqual([b.threadId]);
  });

  it("refuses Codex's snake_case sort keys on /v1 with a 400 naming sortKey and the values it takes", async () => {
    for (const key of ['created_at', 'updated_at', 'name']) {
      const r = await call('GET', `/v1/threads?sortKey=${key}`, A);
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([{ field: 'sortKey', reason: expect.any(String) }]);
      expect(r.body.errors[0].reason).toContain('createdAt');
      expect(r.body.errors[0].reason).toContain('updatedAt');
      expect(r.body.errors[0].reason).toContain(key);
    }
  });

  it('names the list element it refuses as the API names it', async () => {
    const r = await call('GET', '/v1/threads?sourceKinds=cli,bogus', A);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.errors)).toMatch(/sourceKinds/);
  });
});
