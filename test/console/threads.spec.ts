import { describe, expect, it, vi } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { useConsole } from '../support/consoleBrowser.js';
import { A } from '../support/httpServerFixture.js';
import { deleteSubtree } from './deletedSubtree.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('searching threads in the reviewer console, in a real browser', () => {
  const c = useConsole();

  /** The thread ids the results table lists, in its order. */
  const listed = () => c.page.locator('table.threads tbody tr td:first-child a').allTextContents();

  it('finds a deleted subtree with the status filter, keeps the search in the URL, and links each row to its timeline', async () => {
    const live = await c.f.root('secret name');
    const { root, all } = await c.f.tree(3);
    await deleteSubtree(c, root as ThreadId, 'asked');

    await c.open('/console/threads');
    await c.signIn(A);
    await c.page.locator('table.threads').waitFor();
    expect(new Set(await listed())).toEqual(new Set([live, ...all]));

    // The form: status "deleted" only; the search lands in the URL.
    await c.page.getByRole('checkbox', { name: 'deleted' }).check();
    await c.page.getByRole('button', { name: 'Search' }).click();
    await c.page.waitForURL(/status=deleted/);
    await c.page.getByText('3 threads').waitFor();
    expect(new Set(await listed())).toEqual(new Set(all));
    const rows = c.page.locator('table.threads tbody tr');
    for (const row of await rows.all()) expect(await row.textContent()).toMatch(/deleted/);
    expect(await c.page.content()).not.toContain('secret name');
    await c.screenshot('threads');

    // A deep link is the same search, its form filled from the URL.
    const url = c.page.url();
    await c.page.goto('about:blank');
    await c.page.goto(url);
    await c.page.getByText('3 threads').waitFor();
    expect(await c.page.getByRole('checkbox', { name: 'deleted' }).isChecked()).toBe(true);
    expect(await c.page.getByRole('checkbox', { name: 'live' }).isChecked()).toBe(false);

    // Each row links to its timeline.
    await c.page.getByRole('link', { name: root, exact: true }).click();
    await c.page.getByRole('heading', { name: `Thread ${root}` }).waitFor();
    expect(c.page.url()).toBe(`${c.base}/console/threads/${root}`);
    expect(c.errors).toEqual([]);
  });

  it('pages with the keyset cursor, each page a deep link; the actor filter narrows it', async () => {
    const { all } = await c.f.tree(5);
    await c.open('/console/threads?limit=2');
    await c.signIn(A);
    const seen: string[] = [];
    for (let page = 0; page < 3; page++) {
      await c.page.locator('table.threads').waitFor();
      seen.push(...(await listed()));
      if (page < 2) {
        await c.page.getByRole('link', { name: 'Next page' }).click();
        await c.page.waitForURL(/cursor=/);
        await c.page.getByRole('link', { name: 'First page' }).waitFor();
      }
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(all));
    await c.page.getByText('Last page').waitFor();

    await c.open('/console/threads?actor=nobody-at-all');
    await c.page.getByText('No thread matches these filters.').waitFor();
    expect(await c.page.getByLabel('Actor').inputValue()).toBe('nobody-at-all');
    expect(c.errors).toEqual([]);
  });
});
