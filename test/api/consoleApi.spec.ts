import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { describe, expect, it, vi } from 'vitest';
import { AuditThreads } from '../../src/api/http/auditThreadShapes.js';
import { DeletionStats } from '../../src/api/http/deletionStatsShapes.js';
import { LogVerificationOnWire } from '../../src/api/http/evidenceShapes.js';
import { BackgroundVerifier } from '../../src/app/evidence/backgroundVerifier.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { exited } from '../support/cli.js';
import { A, ADM, callServer, useHttpServer, W } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { TOKENS as SERVE_TOKENS, ServeProcess } from '../support/serveProcess.js';
import { newId, startedData } from '../support/threads.js';
import { until } from '../support/until.js';
import { unwrap } from '../support/unwrap.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const conforms = (codec: t.Mixed, value: unknown) => {
  const r = codec.decode(value);
  return E.isRight(r) ? [] : PathReporter.report(r);
};

const MINUTE = 60_000;
/** Content the threads are started with: none of it may appear in the audit's catalog. */
const SECRETS = {
  name: 'Secret plan alpha',
  preview: 'private preview text',
  cwd: '/home/secret-cwd',
};

type AuditThread = t.OutputOf<typeof AuditThreads>['threads'][number];

/**
 * The console's routes (issue 14) through a real listening server: the audit's catalog of threads,
 * the deletion statistics, the last verification of the log.
 */
describe('the reviewer console’s API, through a real listening server', () => {
  const s = useHttpServer();
  const call = callServer(() => s.base);

  const start = async (token: string, body: Record<string, unknown> = {}) => {
    const r = await call('POST', '/v1/threads', token, {
      modelProvider: 'openai',
      ...SECRETS,
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body['threadId'] as ThreadId;
  };

  /**
   * A ledger with every kind of thread: `live` (started by the writer, svc-orders), `archived`,
   * `deleted` (a root and its subagent, deleted by the admin, ops, 90 s after the request),
   * `failing` (a rollout an older version recorded outside the roots: its steps fail forever).
   * One minute apart, in that order; then the clock stands at `now`.
   */
  const scene = async () => {
    const t0 = s.f.clock.now;
    const live = await start(W, { sourceKind: 'appServer' });
    s.f.clock.now += MINUTE;
    const archived = await start(W);
    expect((await call('POST', `/v1/threads/${archived}/archive`, W)).status).toBe(200);
    s.f.clock.now += MINUTE;
    const deleted = await start(W);
    s.f.clock.now += 1000;
    const sub = await call('POST', `/v1/threads/${deleted}/subagents`, W, {
      modelProvider: 'openai',
      ...SECRETS,
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const child = sub.body['threadId'] as ThreadId;
    s.f.clock.now += MINUTE;

    const failing = newId();
    const outside = `/elsewhere/old-version/rollout-2025-01-01T00-00-00-${failing}.jsonl`;
    const data = startedData({
      threadId: failing,
      rolloutPath: outside,
      createdAtMs: s.f.clock.now,
    });
    const legacy = { ...ctx, actor: 'legacy-import' };
    unwrap(
      await s.f.ledger.repo.append(failing, [{ type: 'ThreadStarted', data }], legacy, 'no_stream'),
    );
    const why = encodeURIComponent('stuck one');
    expect((await call('DELETE', `/v1/threads/${failing}?reason=${why}`, ADM)).status).toBe(202);
    const steps = [`rollout:${outside}`, `rollout:${outside}.zst`];
    await until(async () => {
      const r = await call('GET', `/v1/deletions/${failing}`, A);
      return r.body?.deletion?.failing?.length === 2 && r.body.deletion.status === 'failing';
    });
    s.f.clock.now += MINUTE;

    // The root and its subagent deleted 90 s after the request: the worker driven by hand.
    await s.f.ledger.workerLoop.stop();
    const reason = encodeURIComponent('erasure request 7');
    expect((await call('DELETE', `/v1/threads/${deleted}?reason=${reason}`, ADM)).status).toBe(202);
    const requestedAt = s.f.clock.now;
    s.f.clock.now += 90_000;
    await until(async () => {
      await s.f.ledger.worker.runPass();
      const r = await call('GET', `/v1/deletions/${deleted}`, A);
      return r.body?.deletion?.status === 'deleted';
    });
    await s.f.ledger.runner.catchUp();
    return { t0, live, archived, deleted, child, failing, steps, requestedAt, now: s.f.clock.now };
  };

  const catalog = async (query = '', token = A) => {
    const r = await call('GET', `/v1/audit/threads${query}`, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(conforms(AuditThreads, r.body)).toEqual([]);
    return r.body as { threads: AuditThread[]; nextCursor: string | null };
  };
  const idsOf = async (query: string) => (await catalog(query)).threads.map((x) => x.id);
  const iso = (ms: number) => new Date(ms).toISOString();

  it('GET /v1/audit/threads: every thread, deleted ones included, newest first, and nothing of their content', async () => {
    const x = await scene();
    const r = await call('GET', '/v1/audit/threads', A);
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    for (const secret of [...Object.values(SECRETS), 'rollout', 'elsewhere'])
      expect(text).not.toContain(secret);
    const { threads, nextCursor } = await catalog();
    expect(nextCursor).toBeNull();
    expect(threads.map((x) => x.id)).toEqual([x.failing, x.child, x.deleted, x.archived, x.live]);
    const byId = new Map(threads.map((x) => [x.id, x]));
    expect(byId.get(x.live)).toEqual({
      id: x.live,
      parentThreadId: null,
      depth: 0,
      sourceKind: 'appServer',
      createdAt: iso(x.t0),
      createdBy: 'svc-orders',
      archived: false,
      status: 'live',
      deletion: null,
    });
    expect(byId.get(x.archived)).toMatchObject({
      archived: true,
      status: 'live',
      sourceKind: 'appServer',
    });
    const deletion = {
      rootThreadId: x.deleted,
      requestedBy: 'ops',
      reason: 'erasure request 7',
      deletedAt: iso(x.now),
    };
    expect(byId.get(x.deleted)).toMatchObject({
      status: 'deleted',
      createdBy: 'svc-orders',
      deletion: { ...deletion, requestedAt: iso(x.requestedAt) },
    });
    // The subagent's own tombstone was the cascade's: the request's reason and requester all the same.
    expect(byId.get(x.child)).toMatchObject({
      parentThreadId: x.deleted,
      depth: 1,
      status: 'deleted',
      deletion,
    });
    expect(byId.get(x.failing)).toMatchObject({
      createdBy: 'legacy-import',
      sourceKind: 'cli',
      status: 'deleting',
      deletion: {
        rootThreadId: x.failing,
        requestedBy: 'ops',
        reason: 'stuck one',
        deletedAt: null,
      },
    });
  });

  it('GET /v1/audit/threads: filters, keyset pages, and a 400 naming the field for each bad parameter', async () => {
    const x = await scene();
    expect(await idsOf('?status=deleting,deleted')).toEqual([x.failing, x.child, x.deleted]);
    expect(await idsOf('?status=live&status=deleting')).toEqual([x.failing, x.archived, x.live]);
    expect(await idsOf('?archived=true')).toEqual([x.archived]);
    expect(await idsOf('?archived=false&status=live')).toEqual([x.live]);
    expect(await idsOf('?sourceKinds=cli,subAgentThreadSpawn')).toEqual([x.failing, x.child]);
    expect(await idsOf('?actor=ops')).toEqual([x.failing, x.child, x.deleted]);
    expect(await idsOf('?actor=legacy-import')).toEqual([x.failing]);
    expect(await idsOf('?actor=nobody')).toEqual([]);
    // Both bounds included; ISO 8601 or epoch milliseconds.
    const since = iso(x.t0 + MINUTE);
    expect(await idsOf(`?since=${since}&until=${x.t0 + 2 * MINUTE}`)).toEqual([
      x.deleted,
      x.archived,
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await catalog(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.threads.length).toBeLessThanOrEqual(2);
      seen.push(...page.threads.map((x) => x.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([x.failing, x.child, x.deleted, x.archived, x.live]);

    const bad: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=many', 'limit'],
      ['cursor=not-one-of-ours', 'cursor'],
      ['status=gone', 'status'],
      ['archived=maybe', 'archived'],
      ['sourceKinds=cli,fax', 'sourceKinds'],
      ['since=yesterday', 'since'],
      ['until=2026-13-45', 'until'],
    ];
    for (const [query, field] of bad) {
      const r = await call('GET', `/v1/audit/threads?${query}`, A);
      expect(r.status, query).toBe(400);
      expect(r.type).toContain('application/problem+json');
      expect(r.body.errors.map((e: { field: string }) => e.field).join(' '), query).toContain(
        field,
      );
    }
  });

  it('GET /v1/deletions/stats: counts by status, requests over time, time to complete, failing steps', async () => {
    const x = await scene();
    const r = await call('GET', '/v1/deletions/stats', A);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(conforms(DeletionStats, r.body)).toEqual([]);
    const stats = r.body as t.OutputOf<typeof DeletionStats>;
    expect(stats.counts).toEqual({ pending: 0, failing: 1, deleted: 1 });

    // The position the figures reflect: the read models' checkpoint, what a client follows the
    // event stream after; a later write moves it (once the read models have it).
    expect(stats.position).toBe(String(s.f.ledger.runner.position()));
    const later = await call('POST', '/v1/threads', W, { modelProvider: 'openai', ...SECRETS });
    expect(later.status, JSON.stringify(later.body)).toBe(201);
    const wrote = later.body['position'] as string;
    expect(BigInt(wrote)).toBeGreaterThan(BigInt(stats.position!));
    const after = await call('GET', `/v1/deletions/stats?minPosition=${wrote}`, A);
    expect(BigInt(after.body.position)).toBeGreaterThanOrEqual(BigInt(wrote));

    // The last 30 days by day (UTC): 30 buckets, or 31 when now is not at midnight.
    const DAY = 86_400_000;
    const first = Math.floor((x.now - 30 * DAY) / DAY) * DAY;
    expect(stats.overTime[0]!.at).toBe(iso(first));
    expect(stats.overTime).toHaveLength(Math.ceil((x.now - first) / DAY));
    const today = stats.overTime.at(-1)!;
    expect(today).toEqual({ at: iso(Math.floor(x.now / DAY) * DAY), requested: 2, completed: 1 });
    expect(stats.overTime.slice(0, -1).every((b) => b.requested === 0 && b.completed === 0)).toBe(
      true,
    );

    expect(stats.timeToComplete).toMatchObject({
      count: 1,
      p50Ms: 90_000,
      p90Ms: 90_000,
      p99Ms: 90_000,
      maxMs: 90_000,
    });
    expect(stats.timeToComplete.buckets).toEqual(
      [100, 1000, 10_000, 60_000, 600_000, 3_600_000, 86_400_000, null].map((upToMs) => ({
        upToMs,
        count: upToMs === 600_000 ? 1 : 0,
      })),
    );

    expect(stats.failingSteps.map((f) => f.step).sort()).toEqual([...x.steps].sort());
    for (const f of stats.failingSteps) {
      expect(f).toMatchObject({ threadId: x.failing, rootThreadId: x.failing });
      expect(f.attempts).toBeGreaterThanOrEqual(1);
      expect(f.lastError).toMatch(/.+/);
      expect(f.nextRetryAt).toMatch(/Z$/);
    }

    // By the hour over a window of its own: the requests fall in the window's last hour.
    const HOUR = 3_600_000;
    const hourly = await call(
      'GET',
      `/v1/deletions/stats?bucket=hour&since=${iso(x.now - 5 * HOUR)}&until=${x.now + 1}`,
      A,
    );
    expect(hourly.status, JSON.stringify(hourly.body)).toBe(200);
    const buckets = hourly.body.overTime as { requested: number; completed: number }[];
    expect(buckets.reduce((n, b) => n + b.requested, 0)).toBe(2);
    expect(buckets.reduce((n, b) => n + b.completed, 0)).toBe(1);
    // A window that ends before the completion: nothing completed in it.
    const before = await call('GET', `/v1/deletions/stats?until=${x.now - 1}`, A);
    expect(before.body.timeToComplete.count).toBe(0);
    expect(before.body.timeToComplete.p50Ms).toBeNull();
    expect(before.body.counts).toEqual(stats.counts);

    const bad: [string, string][] = [
      ['bucket=week', 'bucket'],
      ['since=last-week', 'since'],
      [`since=${x.now}&until=${x.now}`, 'until'],
      [`bucket=hour&since=${iso(x.now - 1001 * HOUR)}&until=${x.now}`, 'since'],
    ];
    for (const [query, field] of bad) {
      const b = await call('GET', `/v1/deletions/stats?${query}`, A);
      expect(b.status, query).toBe(400);
      expect(
        b.body.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
  });

  it('GET /v1/evidence/verification: nothing before a verification; then the background verifier’s, and a contradiction told once', async () => {
    await scene();
    const none = await call('GET', '/v1/evidence/verification', A);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({
      verifiedAt: null,
      ok: null,
      events: 0,
      checkpoints: 0,
      coveredSize: 0,
      reason: null,
      by: null,
    });

    const told: string[] = [];
    const verifier = new BackgroundVerifier(s.f.ledger, {
      log: (l) => told.push(l),
      everyMs: 50,
      clock: () => s.f.clock.now,
    });
    const signed = s.f.ledger.evidence.signer.signNow()!;
    verifier.start();
    const ran = await until(async () => {
      const r = await call('GET', '/v1/evidence/verification', A);
      return r.body.ok !== null && r.body;
    });
    expect(conforms(LogVerificationOnWire, ran)).toEqual([]);
    expect(ran).toMatchObject({
      verifiedAt: iso(s.f.clock.now),
      ok: true,
      by: 'serve',
      reason: null,
    });
    expect(ran.events).toBeGreaterThanOrEqual(signed.size);
    expect(ran.coveredSize).toBeGreaterThanOrEqual(signed.size);
    expect(ran.checkpoints).toBeGreaterThanOrEqual(1);
    await verifier.stop();
    expect(told).toEqual([]);

    // An event the checkpoints cover, rewritten behind the ledger's back.
    const log = new Database(join(s.f.dir, 'data', 'events.db'));
    log
      .prepare(`UPDATE events SET data = replace(data, 'openai', 'OPENAI') WHERE position = (
      SELECT MIN(position) FROM events WHERE type = 'ThreadStarted')`)
      .run();
    log.close();
    const again = new BackgroundVerifier(s.f.ledger, { log: (l) => told.push(l) });
    await again.verifyNow();
    await again.verifyNow();
    const failed = (await call('GET', '/v1/evidence/verification', A)).body;
    expect(failed).toMatchObject({ ok: false, by: 'serve', events: 0, coveredSize: 0 });
    expect(failed.reason).toMatch(/position \d+/);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(failed.reason);
  });

  it('the three routes are the auditor’s (and the admin’s): a writer is refused, no token is unauthorised', async () => {
    for (const path of ['/v1/audit/threads', '/v1/deletions/stats', '/v1/evidence/verification']) {
      expect((await call('GET', path, A)).status, path).toBe(200);
      expect((await call('GET', path, ADM)).status, path).toBe(200);
      expect((await call('GET', path, W)).status, path).toBe(403);
      expect((await call('GET', path, null)).status, path).toBe(401);
    }
  });
});

describe('thread-ledger serve verifies its log in the background', () => {
  it('at start: the verification route answers serve’s run; a signal still stops it cleanly', async () => {
    const serve = await ServeProcess.start();
    try {
      const auditor = { token: SERVE_TOKENS.auditor };
      let last: Record<string, unknown> = {};
      for (let i = 0; i < 200 && last['verifiedAt'] == null; i++) {
        last = (await serve.request('GET', '/v1/evidence/verification', auditor)).body;
        if (last['verifiedAt'] == null) await new Promise((r) => setTimeout(r, 50));
      }
      expect(last).toMatchObject({ ok: true, by: 'serve', reason: null });
      expect(conforms(LogVerificationOnWire, last)).toEqual([]);
      const gone = exited(serve.child);
      serve.child.kill('SIGTERM');
      expect((await gone).code).toBe(0);
    } finally {
      await serve.stop();
    }
  });
});
