import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { describe, expect, it, vi } from 'vitest';
import { CSV_COLUMNS } from '../../src/api/http/deletionExport.js';
import * as D from '../../src/api/http/deletionShapes.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { emptyWal } from '../../src/io/sqliteWal.js';
import { A, useHttpServer, W } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

// 2,500 deletions through a real server: about a minute on a loaded 2-core machine. The time
// limit is generous; the checks are not.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const conforms = (codec: t.Mixed, value: unknown) => {
  const r = codec.decode(value);
  return E.isRight(r) ? [] : PathReporter.report(r);
};

type Summary = D.DeletionSummary;
type Thread = {
  threadId: string;
  parentThreadId: string | null;
  status: string;
  reason: string | null;
  requestedBy: string;
  steps: {
    step: string;
    kind: string;
    state: string;
    attempts: number;
    lastError: string | null;
  }[];
};

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; lines end in CRLF. */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell).toBe('');
  expect(row).toEqual([]);
  return rows;
};

/** A list row as its CSV line has it: every field text, null empty, the failing list JSON. */
const asCsv = (r: Summary): string[] =>
  CSV_COLUMNS.map((c) => {
    const v = r[c];
    return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });

describe('deletion records, one per request, through a real listening server', () => {
  const s = useHttpServer();

  const call = async (path: string, token: string, init: RequestInit = {}) => {
    const res = await fetch(`${s.base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* text */
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  const post = async (path: string, body: unknown) => {
    const r = await call(path, W, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status, r.text).toBe(201);
    return r.body.threadId as string;
  };
  const thread = { cwd: '/w', modelProvider: 'openai' };

  /** Every request the list has for this query, page after page, and the pages' sizes. */
  const allPages = async (query: string, limit: number, from: string | null = null) => {
    const rows: Summary[] = [];
    const sizes: number[] = [];
    let cursor: string | null = from;
    do {
      const q = `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(`/v1/deletions?${q}`, A);
      expect(page.status, page.text).toBe(200);
      rows.push(...page.body.data);
      sizes.push(page.body.data.length);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return { rows, sizes };
  };

  /**
   * Deletes `n` fresh threads directly through the ledger, with the requester given, `batch` at a
   * time, each batch at once and at the time `each` gives its first.
   */
  const deleteMany = async (
    n: number,
    each: (i: number) => { at: number; actor: string; reason: string | null },
    batch = 1,
  ) => {
    const ids: ThreadId[] = [];
    for (let from = 0; from < n; from += batch) {
      const is = Array.from({ length: Math.min(batch, n - from) }, (_, k) => from + k);
      await Promise.all(
        is.map(async (i) => {
          const id = newId();
          unwrap(await s.f.ledger.lifecycle.start(startedData({ threadId: id }), ctx));
          ids[i] = id;
        }),
      );
      s.f.clock.now = each(from).at;
      await Promise.all(
        is.map(async (i) => {
          const { actor, reason } = each(i);
          const by = { ...ctx, actor, requestId: `req-${i}` };
          unwrap(await s.f.ledger.lifecycle.delete(ids[i]!, reason, by));
        }),
      );
    }
    await s.f.ledger.runner.catchUp();
    return ids;
  };

  it('answers a subtree deleted with a reason as one record: every thread and step, the root reason and requester on each', async () => {
    const root = await post('/v1/threads', thread);
    const child = await post(`/v1/threads/${root}/subagents`, thread);
    const sibling = await post(`/v1/threads/${root}/subagents`, thread);
    const grandchild = await post(`/v1/threads/${child}/subagents`, thread);

    const deleted = await call(`/v1/threads/${root}?reason=gdpr%20erasure&wait=10000`, W, {
      method: 'DELETE',
      headers: { 'x-request-id': 'req-erase-7' },
    });
    expect(deleted.status, deleted.text).toBe(200);

    const byRoot = await call(`/v1/deletions/${root}`, A);
    expect(byRoot.status).toBe(200);
    expect(conforms(D.OneDeletion, byRoot.body)).toEqual([]);
    const record = byRoot.body.deletion;
    expect(record).toMatchObject({
      id: root,
      rootThreadId: root,
      status: 'deleted',
      reason: 'gdpr erasure',
      requestedBy: 'svc-orders',
      requestId: 'req-erase-7',
      threadCount: 4,
      deletedThreadCount: 4,
      stepsDone: 4,
      failures: 0,
      failing: [],
      nextRetryAt: null,
    });
    expect(record.requestedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(record.completedAt)).toBeGreaterThanOrEqual(Date.parse(record.requestedAt));

    const threads = record.threads as Thread[];
    expect(threads.map((t) => [t.threadId, t.parentThreadId])).toEqual([
      [root, null],
      ...[
        [child, root],
        [sibling, root],
      ].sort(),
      [grandchild, child],
    ]);
    for (const t of threads) {
      expect(t).toMatchObject({
        status: 'deleted',
        reason: 'gdpr erasure',
        requestedBy: 'svc-orders',
      });
      expect(t.steps).toEqual([
        expect.objectContaining({
          step: 'content',
          kind: 'content',
          state: 'done',
          attempts: 1,
          lastError: null,
        }),
      ]);
    }

    // Any thread of the subtree names the same request.
    for (const id of [child, sibling, grandchild]) {
      expect((await call(`/v1/deletions/${id}`, A)).body).toEqual(byRoot.body);
    }
    // One row in the list: the request, not one per thread.
    const list = await call('/v1/deletions', A);
    expect(conforms(D.Deletions, list.body)).toEqual([]);
    expect(list.body.data).toEqual([
      Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'threads')),
    ]);
    expect(list.body.nextCursor).toBeNull();
  });

  it("says the worst status of the subtree: a root's step failing holds the request failing while its child is deleted", async () => {
    const root = newId();
    const outside = join(s.f.dir, 'elsewhere', `rollout-${root}.jsonl`);
    // A rollout path outside the roots, as an older version recorded it: its purge never succeeds.
    unwrap(
      await s.f.ledger.commands.handle(
        { type: 'StartThread', thread: startedData({ threadId: root, rolloutPath: outside }) },
        ctx,
      ),
    );
    const child = await post(`/v1/threads/${root}/subagents`, thread);
    const deleted = await call(`/v1/threads/${root}?reason=retention`, W, { method: 'DELETE' });
    expect(deleted.status, deleted.text).toBe(202);

    let record: any;
    for (let i = 0; i < 200; i++) {
      record = (await call(`/v1/deletions/${child}`, A)).body.deletion;
      const childDone = record?.threads?.find((t: Thread) => t.threadId === child)?.status;
      if (record?.status === 'failing' && childDone === 'deleted') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(record).toMatchObject({
      id: root,
      status: 'failing',
      reason: 'retention',
      threadCount: 2,
      deletedThreadCount: 1,
      // The rollout and its compressed sibling, each a step of its own.
      failing: [
        { threadId: root, step: `rollout:${outside}` },
        { threadId: root, step: `rollout:${outside}.zst` },
      ],
    });
    expect(record.lastError).toMatch(/outside the rollout roots/);
    expect(Date.parse(record.nextRetryAt)).toBeGreaterThan(Date.parse(record.requestedAt));
    const [rootThread, childThread] = record.threads as Thread[];
    expect(rootThread).toMatchObject({ threadId: root, status: 'failing' });
    expect(rootThread!.steps.find((st) => st.kind === 'rollout')).toMatchObject({
      target: outside,
      state: 'failed',
      attempts: 1,
      lastError: expect.stringMatching(/outside the rollout roots/),
      nextRetryAt: expect.any(String),
    });
    expect(childThread).toMatchObject({ threadId: child, status: 'deleted', reason: 'retention' });
    expect(
      (await call('/v1/deletions?status=failing', A)).body.data.map((r: Summary) => r.id),
    ).toEqual([root]);
  });

  it('pages 2,500 requests by cursor with none missing and none twice, in a stable order, while new ones arrive; exports them all as CSV and NDJSON', async () => {
    const start = Date.parse('2026-03-01T00:00:00.000Z');
    // 50 requests share each millisecond: the order breaks ties by id, across page boundaries too.
    await s.f.ledger.workerLoop.stop();
    await deleteMany(2500, (i) => ({ at: start + i, actor: 'bulk', reason: null }), 50);
    s.f.ledger.workerLoop.start();

    const first = await call('/v1/deletions?limit=1000', A);
    expect(first.body.data).toHaveLength(1000);
    // Newer requests arriving between pages are not in the pages after the cursor.
    await deleteMany(5, (i) => ({ at: start + 10_000 + i, actor: 'late', reason: null }), 5);
    const rest = await allPages('actor=bulk', 1000, first.body.nextCursor);
    expect(rest.sizes).toEqual([1000, 500]);
    const rows = [...first.body.data, ...rest.rows] as Summary[];
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(2500);
    const expected = [...rows].sort((a, b) =>
      a.requestedAt === b.requestedAt
        ? b.id.localeCompare(a.id)
        : b.requestedAt.localeCompare(a.requestedAt),
    );
    expect(ids).toEqual(expected.map((r) => r.id));
    expect(rows.every((r) => r.requestedBy === 'bulk')).toBe(true);

    // The same list again, by pages of another size: the same rows in the same order.
    const again = await allPages('actor=bulk', 333);
    expect(again.rows.map((r) => r.id)).toEqual(ids);
    expect(new Set(rows.map((r) => r.requestedAt)).size).toBe(50);

    // Exports: every matching row (no 1,000 cap), streamed, each parsing back to the list's rows.
    // Every deletion finished first, so that no row changes between the list and the exports.
    await s.f.ledger.workerLoop.stop();
    while ((await s.f.ledger.workerLoop.runPass()).recorded > 0);
    await s.f.ledger.runner.catchUp();
    const listed = (await allPages('actor=bulk', 1000)).rows;
    const ndjson = await call('/v1/deletions?actor=bulk', A, {
      headers: { accept: 'application/x-ndjson' },
    });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers.get('transfer-encoding')).toBe('chunked');
    const lines = ndjson.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(listed);

    const csv = await call('/v1/deletions?actor=bulk&format=csv', A);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...cells] = parseCsv(csv.text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(cells).toEqual(listed.map(asCsv));

    // A client that goes mid-way: the export's statement and connection are let go (its snapshot
    // no longer keeps the read models' WAL from being emptied), and the server carries on.
    const gone = new AbortController();
    const partial = await fetch(`${s.base}/v1/deletions?format=ndjson`, {
      headers: { authorization: `Bearer ${A}` },
      signal: gone.signal,
    });
    await partial.body!.getReader().read();
    gone.abort();
    let emptied = false;
    for (let i = 0; i < 100 && !emptied; i++) {
      await new Promise((r) => setTimeout(r, 20));
      emptied = emptyWal(s.f.ledger.readDb);
    }
    expect(emptied).toBe(true);
    expect((await call('/v1/deletions?limit=1', A)).status).toBe(200);
  }, 120_000);

  it('filters by actor, status and time, times as ISO 8601 or epoch milliseconds; refuses a bad time naming the parameter', async () => {
    const day = (d: number) => Date.parse(`2026-01-0${d}T00:00:00.000Z`);
    const ids = await deleteMany(6, (i) => ({
      at: day(i + 1),
      actor: i % 2 === 0 ? 'alice' : 'bob',
      reason: `r${i}`,
    }));
    const listed = async (q: string) => {
      const r = await call(`/v1/deletions?${q}`, A);
      expect(r.status, r.text).toBe(200);
      return (r.body.data as Summary[]).map((d) => d.id);
    };
    const newestFirst = (...is: number[]) => is.sort((a, b) => b - a).map((i) => ids[i]);

    expect(await listed('actor=alice')).toEqual(newestFirst(0, 2, 4));
    expect(await listed('actor=bob')).toEqual(newestFirst(1, 3, 5));
    expect(await listed('actor=nobody')).toEqual([]);
    expect(await listed('since=2026-01-03')).toEqual(newestFirst(2, 3, 4, 5));
    expect(await listed(`since=${day(3)}`)).toEqual(newestFirst(2, 3, 4, 5));
    expect(await listed('since=2026-01-03T00:00:00.000Z&until=2026-01-04')).toEqual(
      newestFirst(2, 3),
    );
    expect(await listed(`since=2026-01-03T01:00:00%2B01:00&until=${day(4)}`)).toEqual(
      newestFirst(2, 3),
    );
    expect(await listed('actor=bob&since=2026-01-03&until=2026-01-05T00:00:00Z')).toEqual(
      newestFirst(3),
    );

    await s.f.ledger.workerLoop.runPass();
    await s.f.ledger.runner.catchUp();
    expect(await listed('status=deleted&actor=alice')).toEqual(newestFirst(0, 2, 4));
    expect(await listed('status=pending')).toEqual([]);
    expect(await listed('status=failing')).toEqual([]);

    for (const [q, field] of [
      ['since=2026-13-45', 'since'],
      ['since=yesterday', 'since'],
      ['until=1.5', 'until'],
      ['since=-5', 'since'],
      ['status=gone', 'status'],
      ['cursor=not-a-cursor', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['format=xml', 'format'],
    ] as const) {
      const r = await call(`/v1/deletions?${q}`, A);
      expect(r.status, q).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(
        r.body.errors.map((e: { field: string }) => e.field),
        q,
      ).toEqual([field]);
    }
    const bad = await call('/v1/deletions?since=2026-13-45', A);
    expect(bad.body.errors[0].reason).toMatch(/ISO 8601.*epoch milliseconds/);
  });

  it('neutralises cells a spreadsheet would run as formulas, and quotes what RFC 4180 says to', async () => {
    const reasons = ['=HYPERLINK("http://evil.example","x")', '+1', '-2', '@SUM(A1)', 'a, "b"\nc'];
    const ids = await deleteMany(reasons.length, (i) => ({
      at: Date.parse('2026-02-01T00:00:00Z') + i,
      actor: i === 0 ? '=cmd|calc' : 'carol',
      reason: reasons[i]!,
    }));
    const csv = await call('/v1/deletions', A, { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    const [header, ...rows] = parseCsv(csv.text);
    const col = (name: string) => header!.indexOf(name);
    const byId = new Map(rows.map((r) => [r[col('id')], r]));
    expect(byId.get(ids[0])![col('reason')]).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(byId.get(ids[0])![col('requestedBy')]).toBe("'=cmd|calc");
    expect(byId.get(ids[1])![col('reason')]).toBe("'+1");
    expect(byId.get(ids[2])![col('reason')]).toBe("'-2");
    expect(byId.get(ids[3])![col('reason')]).toBe("'@SUM(A1)");
    expect(byId.get(ids[4])![col('reason')]).toBe('a, "b"\nc');
    expect(csv.text).toContain('"a, ""b""\nc"');
    // Not one cell of the export starts a formula.
    expect(rows.flat().filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    // NDJSON is JSON: the values as they are.
    const ndjson = await call('/v1/deletions?format=ndjson', A);
    const reasonsBack = ndjson.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).reason)
      .reverse();
    expect(reasonsBack).toEqual(reasons);
  });
});
