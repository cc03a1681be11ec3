import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { A, ADM, callServer, useHttpServer, W } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { until } from '../support/until.js';
import { unwrap } from '../support/unwrap.js';

type Step = { step: string; state: string; outcome: string; detail: Record<string, unknown> };
type Failing = { threadId: string; step: string };
type Thread_ = { threadId: string; status: string; completedAt: string | null; steps: Step[] };
type Record_ = { status: string; failing: Failing[]; threads: Thread_[] };

describe('waiving a deletion step that can never succeed, through a real listening server', () => {
  const s = useHttpServer();

  const call = callServer(() => s.base);

  const record = async (id: ThreadId): Promise<Record_ | null> => {
    const r = await call('GET', `/v1/deletions/${id}`, A);
    return r.status === 200 ? (r.body['deletion'] as Record_) : null;
  };

  const waive = (id: ThreadId, step: string, token: string, body: unknown = { reason: 'x' }) =>
    call('POST', `/v1/deletions/${id}/steps/${encodeURIComponent(step)}/waive`, token, body);

  /**
   * A thread whose rollout an older version recorded outside today's roots (appended directly to
   * its stream, past today's check), deleted: its rollout steps fail on every attempt.
   */
  const stuckDeletion = async () => {
    const id = newId();
    const outside = `/elsewhere/old-version/rollout-2025-01-01T00-00-00-${id}.jsonl`;
    const thread = startedData({ threadId: id, rolloutPath: outside });
    unwrap(
      await s.f.ledger.repo.append(id, [{ type: 'ThreadStarted', data: thread }], ctx, 'no_stream'),
    );
    expect((await call('DELETE', `/v1/threads/${id}`, W)).status).toBe(202);
    const steps = [`rollout:${outside}`, `rollout:${outside}.zst`];
    const failing = await until(async () => {
      const d = await record(id);
      return d && steps.every((k) => d.failing.some((f) => f.step === k)) && d;
    });
    expect(failing.status).toBe('failing');
    return { id, steps };
  };

  it('an admin waives the failing steps with a reason: recorded with who and why, and the deletion completes', async () => {
    const { id, steps } = await stuckDeletion();
    const reason =
      'written by v0.3 outside the roots; the file was removed by hand (ticket OPS-12)';

    const first = await waive(id, steps[0]!, ADM, { reason });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      waiver: { threadId: id, step: steps[0], reason, waivedBy: 'ops' },
    });
    expect(first.body['waiver'].position).toMatch(/^\d+$/);
    // One step is still failing: the deletion waits for it.
    expect((await record(id))?.status).not.toBe('deleted');
    expect((await waive(id, steps[1]!, ADM, { reason })).status).toBe(200);

    const done = await until(async () => {
      const d = await record(id);
      return d?.status === 'deleted' && d;
    });
    expect(done.failing).toEqual([]);
    const thread = done.threads.find((t) => t.threadId === id)!;
    for (const step of steps) {
      expect(thread.steps).toContainEqual(
        expect.objectContaining({
          step,
          state: 'waived',
          outcome: 'waived',
          detail: { threadId: id, step, reason, waivedBy: 'ops' },
        }),
      );
    }
    expect(thread).toMatchObject({ status: 'deleted', completedAt: expect.any(String) });

    // In the history: who decided and why, in the event and its metadata.
    const history = await call('GET', `/v1/threads/${id}/history`, A);
    const waived = (history.body['events'] as Record<string, any>[]).filter(
      (e) => e['type'] === 'DeletionStepWaived',
    );
    expect(waived.map((e) => [e['data'], e['metadata'].actor])).toEqual(
      steps.map((step) => [{ threadId: id, step, reason }, 'ops']),
    );
    expect(history.body['events'].at(-1).type).toBe('ThreadDeleted');

    // A rebuild from the log gives the same record.
    expect((await call('POST', '/v1/admin/rebuild', ADM)).status).toBe(200);
    expect(await record(id)).toEqual(done);
  });

  it('a writer or an auditor is refused (403), and nothing is recorded', async () => {
    const { id, steps } = await stuckDeletion();
    for (const token of [W, A]) {
      const r = await waive(id, steps[0]!, token, { reason: 'not mine to decide' });
      expect(r.status).toBe(403);
      expect(r.type).toContain('application/problem+json');
    }
    const history = await call('GET', `/v1/threads/${id}/history`, A);
    expect(history.body['events'].some((e: any) => e.type === 'DeletionStepWaived')).toBe(false);
  });

  it('a waiver without a reason, or with a blank one, is refused (400 naming reason)', async () => {
    const { id, steps } = await stuckDeletion();
    for (const body of [{}, { reason: '   ' }, { reason: 42 }]) {
      const r = await waive(id, steps[0]!, ADM, body);
      expect(r.status).toBe(400);
      expect(r.type).toContain('application/problem+json');
      expect(r.body['errors'].map((e: { field: string }) => e.field)).toContain('reason');
    }
  });

  it('an unknown step is refused (404), naming the steps still to settle', async () => {
    const { id, steps } = await stuckDeletion();
    const r = await waive(id, 'rollout:/not/a/step/of/this.jsonl', ADM);
    expect(r.status).toBe(404);
    expect(r.type).toContain('application/problem+json');
    expect(r.body['type']).toMatch(/unknown-deletion-step$/);
    expect(r.body['detail']).toContain('rollout:/not/a/step/of/this.jsonl');
    for (const step of steps) expect(r.body['detail']).toContain(step);
    // Under /steps/, only /waive is a route, however long the step.
    const other = await call(
      'POST',
      `/v1/deletions/${id}/steps/${encodeURIComponent(steps[0]!)}/skip`,
      ADM,
      {
        reason: 'x',
      },
    );
    expect(other.status).toBe(404);
    expect(other.body['type']).toMatch(/route-not-found$/);
  });

  it('a step already done is refused (409); so is any step once the deletion is complete', async () => {
    const { id, steps } = await stuckDeletion();
    const content = await waive(id, 'content', ADM);
    expect(content.status).toBe(409);
    expect(content.body['type']).toMatch(/step-already-recorded$/);
    for (const step of steps) expect((await waive(id, step, ADM)).status).toBe(200);
    await until(async () => (await record(id))?.status === 'deleted');
    const after = await waive(id, steps[0]!, ADM);
    expect(after.status).toBe(409);
    expect(after.body['type']).toMatch(/deletion-complete$/);
  });

  it('a thread not being deleted is refused (409), one that does not exist 404', async () => {
    const live = unwrap(await s.f.ledger.lifecycle.start(startedData(), ctx)).threadIds[0]!;
    expect((await waive(live, 'content', ADM)).status).toBe(409);
    expect((await waive(newId(), 'content', ADM)).status).toBe(404);
  });

  it('a keyed retry is answered once: one event, the same answer', async () => {
    const { id, steps } = await stuckDeletion();
    const send = () =>
      fetch(`${s.base}/v1/deletions/${id}/steps/${encodeURIComponent(steps[0]!)}/waive`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADM}`,
          'content-type': 'application/json',
          'idempotency-key': 'waive-1',
        },
        body: JSON.stringify({ reason: 'once' }),
      });
    const a = await send();
    const b = await send();
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.json()).toEqual(await a.json());
    const history = await call('GET', `/v1/threads/${id}/history`, A);
    const waived = history.body['events'].filter((e: any) => e.type === 'DeletionStepWaived');
    expect(waived).toHaveLength(1);
  });

  it('the OpenAPI document names the route with its step parameter, for the admin role', async () => {
    const doc = (await (await fetch(`${s.base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { description: string; 'x-roles': string[] }>>;
    };
    const op = doc.paths['/v1/deletions/{id}/steps/{step}/waive']?.['post'];
    expect(op?.['x-roles']).toEqual(['admin']);
    expect(op?.description).toContain('`admin`');
    expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([]);
  });
});
