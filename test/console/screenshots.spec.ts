import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BackgroundVerifier } from '../../src/app/evidence/backgroundVerifier.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { useConsole } from '../support/consoleBrowser.js';
import { A, ADM, callServer } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { unwrap } from '../support/unwrap.js';
import { stuckDeletion, until } from './deletionScenes.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

/** The README's pictures: written only when asked (UPDATE_SCREENSHOTS=1), committed. */
const DOCS = resolve(import.meta.dirname, '../../docs/screenshots');
const UPDATE = process.env['UPDATE_SCREENSHOTS'] === '1';
const DAY = 86_400_000;

describe('the README’s screenshots of the reviewer console, in a real browser', () => {
  const c = useConsole();
  const call = callServer(() => c.base);

  /** A tree of `size` deleted by `actor`, its purge `tookMs` after the request (worker by hand). */
  const deletedAfter = async (size: number, actor: string, reason: string, tookMs: number) => {
    await c.f.ledger.workerLoop.stop();
    const tree = await c.f.tree(size);
    unwrap(await c.f.ledger.lifecycle.delete(tree.root, reason, { ...ctx, actor }));
    c.f.clock.now += tookMs;
    for (let pass = 0; pass < 10 && !isDeleted(tree.root); pass++)
      await c.f.ledger.worker.runPass();
    expect(isDeleted(tree.root)).toBe(true);
    c.f.ledger.workerLoop.start();
    return tree;
  };
  const isDeleted = (root: ThreadId) =>
    c.f.ledger.queries.deletionRequests.record(root)?.request.status === 'deleted';

  /**
   * A ledger as a reviewer finds it: named threads, a subtree of five deleted some days ago, a
   * thread deleted yesterday, a deletion failing today with one of its steps waived, and the log
   * verified by the background verifier.
   */
  const scene = async () => {
    c.f.clock.now -= 3 * DAY;
    for (const name of ['Refactor the billing export', 'Flaky CI on main', 'Draft the Q3 report']) {
      const root = await c.f.root(name);
      await c.f.child(root);
    }
    const subtree = await deletedAfter(
      5,
      'alice@example.com',
      'retention: older than 90 days',
      4 * 60_000,
    );
    c.f.clock.now += DAY + 3_600_000;
    await deletedAfter(1, 'carol@example.com', 'erasure request #4411', 40_000);
    c.f.clock.now += DAY;
    await c.f.root('Investigate the 502s');
    const stuck = await stuckDeletion(c.f, 'bob@example.com');
    const waived = await call(
      'POST',
      `/v1/deletions/${stuck.id}/steps/${encodeURIComponent(`rollout:${stuck.path}.zst`)}/waive`,
      ADM,
      { reason: 'never written by v0.3: nothing to remove (ticket OPS-12)' },
    );
    expect(waived.status, JSON.stringify(waived.body)).toBe(200);
    await until(
      () =>
        c.f.ledger.queries.deletionRequests
          .record(stuck.id)
          ?.steps.some((s) => s.outcome === 'waived') === true,
    );
    await new BackgroundVerifier(c.f.ledger, {
      clock: () => c.f.clock.now,
      log: () => {},
    }).verifyNow();
    const verified = await call('GET', '/v1/evidence/verification', A);
    expect(verified.body.ok).toBe(true);
    return { subtree, stuck };
  };

  /** Saves the page as test-artifacts/console/<name>.png, and docs/screenshots/ when asked. */
  const shoot = async (name: string) => {
    const file = await c.screenshot(name);
    expect(statSync(file).size).toBeLessThan(300_000);
    if (!UPDATE) return;
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  };

  const loaded = async (heading: string) => {
    await c.page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await expect.poll(() => c.page.locator('.loading').count(), { timeout: 15_000 }).toBe(0);
  };

  it('one screenshot per page: overview, threads, thread, deletions, deletion, the deletion printed', async () => {
    const { subtree, stuck } = await scene();
    await c.open('/console/');
    await c.signIn(A);
    await loaded('Overview');
    await c.page.getByText('Live: follows the event stream.').waitFor();
    await shoot('overview');

    await c.open('/console/threads');
    await loaded('Threads');
    await shoot('threads');

    await c.open(`/console/threads/${subtree.all[1]}`);
    await loaded(`Thread ${subtree.all[1]}`);
    await shoot('thread');

    await c.open('/console/deletions');
    await loaded('Deletions');
    await shoot('deletions');

    await c.open(`/console/deletions/${stuck.id}`);
    await loaded(`Deletion of ${stuck.id}`);
    await shoot('deletion');

    await c.open(`/console/deletions/${subtree.root}`);
    await loaded(`Deletion of ${subtree.root}`);
    await c.page.getByText('Receipt verified').waitFor();
    await c.page.emulateMedia({ media: 'print' });
    await shoot('deletion-printed');
    expect(c.errors).toEqual([]);
  });
});
