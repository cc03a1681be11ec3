import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { A, ADM, callServer, useHttpServer, W } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Every key of a JSON answer, at any depth, with its path: what a client reads.
 */
const entries = (v: unknown, path = ''): [string, string, unknown][] => {
  if (Array.isArray(v)) return v.flatMap((x, i) => entries(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [
    [`${path}.${k}`, k, x] as [string, string, unknown],
    ...entries(x, `${path}.${k}`),
  ]);
};

/** The convention of `/v1`: camelCase keys; every `...At` an ISO 8601 UTC time with ms (or null). */
const offConvention = (answer: unknown): string[] =>
  entries(answer).flatMap(([path, key, value]) => [
    ...(/^[a-z][a-zA-Z0-9]*$/.test(key) ? [] : [`${path}: not camelCase`]),
    ...(/At$/.test(key) && value !== null && !(typeof value === 'string' && ISO_MS.test(value))
      ? [`${path}: ${JSON.stringify(value)} is not an ISO time`]
      : []),
  ]);

describe('HTTP /v1: one shape convention for every answer (real listening server)', () => {
  const server = useHttpServer();
  let base: string;
  beforeEach(() => {
    ({ base } = server);
  });

  const call = callServer(() => base);

  it('answers create, spawn, rename, archive, get, list, subtree, history, delete and the 410 in camelCase with ISO times', async () => {
    const answers: [string, { status: number; body: unknown }][] = [];
    const keep = <T extends { status: number; body: any }>(what: string, r: T): T => {
      answers.push([what, r]);
      return r;
    };
    const root = keep(
      'start',
      await call('POST', '/v1/threads', W, {
        cwd: '/w',
        modelProvider: 'openai',
        name: 'Plan',
        gitInfo: { sha: 'abc', branch: 'main', originUrl: null },
        createdAt: '2026-11-20T10:00:00.123Z',
      }),
    );
    expect(root.status).toBe(201);
    const id = root.body.threadId as string;
    const child = keep(
      'spawn',
      await call('POST', `/v1/threads/${id}/subagents`, W, {
        cwd: '/w',
        modelProvider: 'openai',
        sourceKind: 'subAgentThreadSpawn',
      }),
    );
    expect(child.status).toBe(201);
    keep('rename', await call('POST', `/v1/threads/${id}/name`, W, { name: 'Plan B' }));
    keep('archive', await call('POST', `/v1/threads/${id}/archive`, W));
    const un = keep('unarchive', await call('POST', `/v1/threads/${id}/unarchive`, W));
    const got = keep(
      'get',
      await call('GET', `/v1/threads/${id}?minPosition=${un.body.position}`, A),
    );
    expect(got.status).toBe(200);
    expect(got.body.thread).toMatchObject({
      id,
      name: 'Plan B',
      sourceKind: 'appServer',
      depth: 0,
      parentThreadId: null,
      gitInfo: { sha: 'abc', branch: 'main', originUrl: null },
      createdAt: '2026-11-20T10:00:00.123Z',
      updatedAt: expect.stringMatching(ISO_MS),
      archived: false,
    });
    const list = keep(
      'list',
      await call('GET', '/v1/threads?sourceKinds=appServer,subAgentThreadSpawn', A),
    );
    expect(list.body.data.map((t: { id: string }) => t.id).sort()).toEqual(
      [id, child.body.threadId].sort(),
    );
    const sub = keep('subtree', await call('GET', `/v1/threads/${id}/subtree`, A));
    expect(sub.body).toEqual({
      thread: { threadId: id, parentThreadId: null, depth: 0, status: 'live' },
      ancestors: [],
      descendants: [
        { threadId: child.body.threadId, parentThreadId: id, depth: 1, status: 'live' },
      ],
    });
    const deleted = keep('delete', await call('DELETE', `/v1/threads/${id}?wait=5000`, W));
    expect(deleted.status).toBe(200);
    const gone = keep(
      '410',
      await call('GET', `/v1/threads/${id}?minPosition=${deleted.body.deletion.position}`, A),
    );
    expect(gone.status).toBe(410);
    expect(gone.type).toMatch(/application\/problem\+json/);
    expect(gone.body).toEqual({
      type: 'https://thread-ledger.dev/problems/gone',
      title: 'Thread deleted',
      status: 410,
      detail: `thread ${id} is deleted`,
      threadId: id,
      deletion: {
        status: 'deleted',
        requestedAt: expect.stringMatching(ISO_MS),
        requestedBy: 'svc-orders',
        completedAt: expect.stringMatching(ISO_MS),
        href: `/v1/deletions/${id}`,
      },
    });
    const history = keep('history', await call('GET', `/v1/threads/${id}/history`, A));
    expect(history.body.events[0]).toMatchObject({
      type: 'ThreadStarted',
      recordedAt: expect.stringMatching(ISO_MS),
    });
    const subtreeAfter = keep('subtree after', await call('GET', `/v1/threads/${id}/subtree`, A));
    expect(subtreeAfter.body.thread.status).toBe('deleted');
    keep('a problem', await call('GET', '/v1/threads/not-a-uuid', A));

    for (const [what, r] of answers) expect(offConvention(r.body), what).toEqual([]);
  });

  it('answers the deletions (DELETE, the list page, a whole record, a waiver) in camelCase with ISO times, failing and waived steps included', async () => {
    const answers: [string, { status: number; body: unknown }][] = [];
    const keep = <T extends { status: number; body: any }>(what: string, r: T): T => {
      answers.push([what, r]);
      return r;
    };
    const start = async () =>
      (await call('POST', '/v1/threads', W, { cwd: '/w', modelProvider: 'openai' })).body
        .threadId as string;
    // A thread with a rollout path outside the roots, as an older version recorded it: its purge
    // fails until an admin waives it.
    const root = newId();
    const outside = join(server.f.dir, 'elsewhere', `rollout-${root}.jsonl`);
    unwrap(
      await server.f.ledger.commands.handle(
        { type: 'StartThread', thread: startedData({ threadId: root, rolloutPath: outside }) },
        ctx,
      ),
    );
    const child = await call('POST', `/v1/threads/${root}/subagents`, W, {
      cwd: '/w',
      modelProvider: 'openai',
    });
    expect(child.status).toBe(201);
    const done = await start();
    keep('DELETE, done', await call('DELETE', `/v1/threads/${done}?reason=gdpr&wait=5000`, W));
    const pending = keep(
      'DELETE, pending',
      await call('DELETE', `/v1/threads/${root}?reason=r`, W),
    );
    expect(pending.status).toBe(202);
    let failing: any;
    for (let i = 0; i < 200; i++) {
      failing = await call('GET', `/v1/deletions/${root}`, A);
      if (failing.body.deletion?.status === 'failing') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    keep('record, failing', failing);
    expect(failing.body.deletion.failing.length).toBeGreaterThan(0);
    keep('list page, failing', await call('GET', '/v1/deletions?limit=1', A));
    for (const { step } of failing.body.deletion.failing as { step: string }[]) {
      const path = `/v1/deletions/${root}/steps/${encodeURIComponent(step)}/waive`;
      keep('waive', await call('POST', path, ADM, { reason: 'written by an older version' }));
    }
    let record: any;
    for (let i = 0; i < 200; i++) {
      record = await call('GET', `/v1/deletions/${root}`, A);
      if (record.body.deletion?.status === 'deleted') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(record.body.deletion.status).toBe('deleted');
    keep('record, waived', record);
    keep('record, done', await call('GET', `/v1/deletions/${done}`, A));
    const page = keep('list page', await call('GET', '/v1/deletions', A));
    expect(page.body.data).toHaveLength(2);
    keep('DELETE, already deleted', await call('DELETE', `/v1/threads/${done}`, W));
    keep('a deletion problem', await call('GET', `/v1/deletions/${newId()}`, A));
    for (const [what, r] of answers) expect(offConvention(r.body), what).toEqual([]);
  });

  it('answers the thread list with the same thread shape as GET, times from the recorded milliseconds', async () => {
    const at = Date.parse('2026-11-21T08:30:00.007Z');
    const r = await call('POST', '/v1/threads', W, {
      cwd: '/w',
      modelProvider: 'x',
      createdAt: at,
    });
    const one = await call(
      'GET',
      `/v1/threads/${r.body.threadId}?minPosition=${r.body.position}`,
      A,
    );
    const page = await call('GET', '/v1/threads?sourceKinds=appServer', A);
    expect(page.body.data).toEqual([one.body.thread]);
    expect(one.body.thread.createdAt).toBe('2026-11-21T08:30:00.007Z');
    expect(Object.keys(one.body.thread).sort()).toEqual(
      [
        'id',
        'sessionId',
        'parentThreadId',
        'depth',
        'sourceKind',
        'name',
        'preview',
        'cwd',
        'modelProvider',
        'originator',
        'cliVersion',
        'gitInfo',
        'rolloutPath',
        'forkedFromId',
        'agentNickname',
        'agentRole',
        'createdAt',
        'updatedAt',
        'archived',
      ].sort(),
    );
  });

  it('names fields in validation errors as the API names them: cwd, gitInfo.sha, sourceKinds[1], never 0.cwd', async () => {
    const cases: [string, string, unknown, string[]][] = [
      ['POST', '/v1/threads', { modelProvider: 'x' }, ['cwd']],
      [
        'POST',
        '/v1/threads',
        { cwd: '/w', modelProvider: 'x', gitInfo: { sha: 3, branch: null, originUrl: null } },
        ['gitInfo.sha'],
      ],
      [
        'POST',
        '/v1/threads',
        {
          cwd: '/w',
          modelProvider: 'x',
          gitInfo: { sha: null, branch: null, originUrl: null, extra: 1 },
        },
        ['gitInfo.extra'],
      ],
      ['GET', '/v1/threads?sourceKinds=cli,fax', undefined, ['sourceKinds[1]']],
      [
        'GET',
        '/v1/threads?sourceKinds=cli&sourceKinds=vscode&sourceKinds=fax',
        undefined,
        ['sourceKinds[2]'],
      ],
      ['GET', '/v1/threads?limit=many', undefined, ['limit']],
    ];
    for (const [method, path, body, fields] of cases) {
      const r = await call(method, path, method === 'GET' ? A : W, body);
      const what = `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`;
      expect(r.status, what).toBe(400);
      expect(r.type, what).toMatch(/application\/problem\+json/);
      expect(
        r.body.errors.map((e: { field: string }) => e.field),
        what,
      ).toEqual(fields);
      for (const f of fields) expect(r.body.detail, what).toContain(`${f} `);
      expect(r.body.detail, what).not.toMatch(/(^|[\s:])\d+\./);
      expect(offConvention(r.body), what).toEqual([]);
    }
  });
});
