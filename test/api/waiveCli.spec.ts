import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, startCli } from '../support/cli.js';
import { ctx, ledgerFixture } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

describe('thread-ledger waive', () => {
  it('an operator waives the steps that can never succeed: recorded with who and why, and the worker completes the deletion', async () => {
    // Given a thread whose rollout an older version recorded outside today's roots (appended
    // directly to its stream, past today's check), deleted: its rollout steps fail forever.
    const f = await ledgerFixture();
    const id = newId();
    const outside = `/elsewhere/old-version/rollout-2025-01-01T00-00-00-${id}.jsonl`;
    const steps = [`rollout:${outside}`, `rollout:${outside}.zst`];
    const thread = startedData({ threadId: id, rolloutPath: outside });
    unwrap(
      await f.ledger.repo.append(id, [{ type: 'ThreadStarted', data: thread }], ctx, 'no_stream'),
    );
    unwrap(await f.ledger.lifecycle.delete(id, 'user asked', ctx));
    await f.ledger.worker.runPass();
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.deletion(id)?.record.status).toBe('failing');
    await f.ledger.close();
    const data = join(f.dir, 'data');
    const waive = async (...args: string[]) => {
      const child = startCli(['waive', ...args, '--data', data]);
      return { code: (await exited(child)).code, output: child.output() };
    };
    const reason = 'written by v0.3 outside the roots; removed by hand (OPS-12)';

    // Refused, each with one line that says why, and nothing recorded.
    const noReason = await waive(id, steps[0]!);
    expect(noReason.code).toBe(2);
    expect(noReason.output).toContain('--reason is required');
    const noStep = await waive(id, '--reason', reason);
    expect(noStep.code).toBe(2);
    expect(noStep.output).toContain('STEP is required');
    const unknown = await waive(id, 'rollout:/not/this.jsonl', '--reason', reason);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain(`has no step "rollout:/not/this.jsonl"`);
    expect(unknown.output).toContain(steps[0]);
    const done = await waive(id, 'content', '--reason', reason);
    expect(done.code).toBe(2);
    expect(done.output).toContain(`step content of thread ${id} is already recorded`);
    for (const out of [noReason, noStep, unknown, done].map((r) => r.output))
      expect(out).not.toMatch(/\n\s+at /); // no stack trace

    // When the operator waives both of them, with a reason.
    const actor = `cli:${userInfo().username}`;
    for (const step of steps) {
      const r = await waive(id, step, '--reason', reason);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(
        `waived step ${step} of the deletion of thread ${id}, by ${actor}, at position`,
      );
      expect(r.output).toContain(reason);
    }

    // Then the worker completes the deletion, and the record shows the steps waived: who and why.
    const worker = startCli(['worker', '--until-idle', '--data', data]);
    expect((await exited(worker)).code, worker.output()).toBe(0);
    f.reopen();
    await f.ledger.runner.catchUp();
    const d = f.ledger.queries.deletion(id)!;
    expect(d.record.status).toBe('deleted');
    for (const step of steps) {
      const row = d.steps.find((s) => s.step === step && s.outcome === 'waived');
      expect(JSON.parse(row!.detail)).toEqual({ threadId: id, step, reason, waivedBy: actor });
    }
    const history = await f.ledger.store.readStream(`thread-${id}`);
    const waived = history.filter((e) => e.type === 'DeletionStepWaived');
    expect(waived.map((e) => (e.metadata as { actor: string }).actor)).toEqual([actor, actor]);
    await f.close();
  });
});
