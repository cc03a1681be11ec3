import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A } from '../support/httpServerFixture.js';
import { deletedTree, stuckDeletion } from './deletionScenes.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('the reviewer console’s layout at 1280 px, in a real browser', () => {
  const c = useConsole();

  it('no page is wider than the window: a wide table scrolls inside its own box', async () => {
    const tree = await deletedTree(c.f, 3);
    const stuck = await stuckDeletion(c.f);
    // Threads with long names of actors: the widest rows the catalog has.
    for (let i = 0; i < 3; i++) await c.f.tree(2);
    await c.open('/console/');
    await c.signIn(A);
    const paths = [
      '/console/',
      '/console/threads',
      `/console/threads/${tree.all[1]}`,
      '/console/deletions',
      `/console/deletions/${stuck.id}`,
      `/console/deletions/${tree.root}`,
    ];
    for (const path of paths) {
      await c.open(path);
      await c.page.locator('main h1').first().waitFor();
      await expect.poll(() => c.page.locator('.loading').count(), { timeout: 15_000 }).toBe(0);
      const overflow = await c.page.evaluate(() => {
        const main = document.querySelector('main')!;
        const box = main.getBoundingClientRect();
        const out = [...main.querySelectorAll('*')]
          .filter((e) => !e.closest('.table-scroll'))
          .filter((e) => e.getBoundingClientRect().right > box.right + 1)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
        return {
          page: document.documentElement.scrollWidth - innerWidth,
          outside: [...new Set(out)].slice(0, 5),
        };
      });
      expect(overflow, path).toEqual({ page: 0, outside: [] });
    }
    expect(c.errors).toEqual([]);
  });

  it('the overview’s table of the chart is closed until asked for', async () => {
    await deletedTree(c.f, 2);
    await c.open('/console/');
    await c.signIn(A);
    const table = c.page.locator('details.chart-table');
    await table.waitFor();
    expect(await table.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await c.page.getByText('The numbers, as a table').click();
    expect(await table.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  });
});
