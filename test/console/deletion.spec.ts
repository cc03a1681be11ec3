import { describe, expect, it, vi } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { useConsole } from '../support/consoleBrowser.js';
import { A, ADM, callServer, W } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';
import { deleteSubtree, deletionOf, until } from './deletedSubtree.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const SECRET = 'secret name';

describe('one deletion in the reviewer console, its receipt verified in the page, in a real browser', () => {
  const c = useConsole();
  const call = callServer(() => c.base);

  /**
   * A named root whose rollout an older version recorded outside today's roots (appended to its
   * stream directly), with a child: deleted, its rollout steps fail on every attempt.
   */
  const stuckDeletion = async () => {
    const root = newId();
    const outside = `/elsewhere/old-version/rollout-2025-01-01T00-00-00-${root}.jsonl`;
    const thread = startedData({ threadId: root, rolloutPath: outside, name: SECRET });
    unwrap(
      await c.f.ledger.repo.append(
        root,
        [{ type: 'ThreadStarted', data: thread }],
        ctx,
        'no_stream',
      ),
    );
    const child = await c.f.child(root);
    expect((await call('DELETE', `/v1/threads/${root}?reason=retention%20policy`, W)).status).toBe(
      202,
    );
    const steps = [`rollout:${outside}`, `rollout:${outside}.zst`];
    const failing = await until(async () => {
      const d = await deletionOf(c, root);
      const childDone = d?.threads.find((t: { threadId: string }) => t.threadId === child);
      return d?.failing.length === 2 && childDone?.status === 'deleted' && d;
    });
    return { root, child, steps, failing };
  };

  /** The steps the page lists, as "thread step" pairs; and the API's. */
  const listedSteps = async () =>
    c.page.locator('section.thread-steps').evaluateAll((sections) =>
      sections.flatMap((s) => {
        const thread = s.querySelector('h3 a')!.textContent;
        return [...s.querySelectorAll('tbody tr')].map(
          (r) => `${thread} ${r.querySelector('.target')!.textContent}`,
        );
      }),
    );
  const apiSteps = (d: any): string[] =>
    d.threads.flatMap((t: any) => t.steps.map((s: any) => `${t.threadId} ${s.target ?? '—'}`));

  it('shows every step with its failures while under way (no receipt yet), then the waivers with who and why and "Receipt verified" with what it proves', async () => {
    const { root, child, steps, failing } = await stuckDeletion();
    await c.open(`/console/deletions/${root}`);
    await c.signIn(A);
    await c.page.getByRole('heading', { name: `Deletion of ${root}` }).waitFor();
    await c.page.getByText('No receipt yet: the deletion is not complete.').waitFor();
    expect(await listedSteps()).toEqual(apiSteps(failing));
    const stuck = c.page.getByRole('row').filter({ hasText: steps[0]!.slice('rollout:'.length) });
    const text = (await stuck.first().textContent())!;
    expect(text).toMatch(/failed/);
    expect(text).toMatch(/next retry/);
    expect(text).toContain(failing.threads[0].steps[0].lastError);
    await c.screenshot('deletion-under-way');

    const reason = 'written by v0.3 outside the roots; removed by hand (ticket OPS-12)';
    for (const step of steps)
      expect(
        (
          await call('POST', `/v1/deletions/${root}/steps/${encodeURIComponent(step)}/waive`, ADM, {
            reason,
          })
        ).status,
      ).toBe(200);
    const done = await until(async () => {
      const d = await deletionOf(c, root);
      return d?.status === 'deleted' && d;
    });

    await c.page.reload();
    const verdict = c.page.getByRole('status').filter({ hasText: 'Receipt verified' });
    await verdict.waitFor();
    expect(await listedSteps()).toEqual(apiSteps(done));
    const waived = c.page.getByRole('row').filter({ hasText: 'waived' });
    expect(await waived.count()).toBe(2);
    for (const row of await waived.all()) {
      expect(await row.textContent()).toContain('by ops');
      expect(await row.textContent()).toContain(reason);
    }
    // What the receipt proves: who, why, every thread.
    const proves = c.page.locator('dl.proves');
    expect(await proves.textContent()).toContain('svc-orders');
    expect(await proves.textContent()).toContain('retention policy');
    expect(await proves.textContent()).toContain(child);
    expect(await proves.textContent()).toMatch(/2 waived/);
    expect(await c.page.content()).not.toContain(SECRET);

    // The download: the receipt exactly as served, named after its root.
    const [download] = await Promise.all([
      c.page.waitForEvent('download'),
      c.page.getByRole('button', { name: /Download the receipt/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`receipt-${root}.json`);
    const served = await call('GET', `/v1/deletions/${root}/receipt`, A);
    const saved = JSON.parse(
      await new Promise<string>((done, fail) =>
        download.createReadStream().then((s) => {
          let text = '';
          s.on('data', (b) => (text += b));
          s.on('end', () => done(text));
          s.on('error', fail);
        }, fail),
      ),
    );
    expect(saved).toEqual(served.body);
    await c.screenshot('deletion');
    await c.page.emulateMedia({ media: 'print' });
    await c.screenshot('deletion-print');
    // Printed, it is a one-page report, its verdict on it.
    const pdf = (await c.page.pdf({ format: 'A4' })).toString('latin1');
    expect(pdf.match(/\/Type\s*\/Page\b/g)).toHaveLength(1);
    expect(c.errors).toEqual([]);
  });

  it('says "Receipt NOT verified" and why when one byte of the served receipt is changed (the answer intercepted on its way to the page)', async () => {
    const { root } = await c.f.tree(3);
    await deleteSubtree(c, root as ThreadId, 'asked');
    // One byte of the tombstone's entry changed: its reason "asked" becomes "askee".
    await c.page.route('**/v1/deletions/*/receipt', async (route) => {
      const res = await route.fetch();
      const body = await res.text();
      // "asked" is written once: in the root's tombstone entry, an entry inside a JSON string.
      expect(body.split('asked')).toHaveLength(2);
      await route.fulfill({ response: res, body: body.replace('asked', 'askee') });
    });
    await c.open(`/console/deletions/${root}`);
    await c.signIn(A);
    const verdict = c.page.getByRole('alert').filter({ hasText: 'Receipt NOT verified' });
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/not in the signed log/);
    expect(await c.page.getByText('Receipt verified', { exact: true }).count()).toBe(0);
    await c.screenshot('deletion-tampered');
    expect(c.errors).toEqual([]);
  });
});
