import { readFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A } from '../support/httpServerFixture.js';
import { deletedTree, stuckDeletion } from './deletionScenes.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('the deletions page of the reviewer console, in a real browser', () => {
  const c = useConsole();

  /** The root thread ids of the rows shown, in order. */
  const rowIds = async () =>
    c.page.getByRole('table').locator('tbody th[scope="row"]').allTextContents();

  const loaded = () =>
    c.page
      .getByRole('status')
      .filter({ hasText: /on this page|No deletion/ })
      .waitFor();

  it('lists every deletion, filters by status and actor through the form and the URL, and links each to its record', async () => {
    const alice1 = await deletedTree(c.f, 2, 'alice');
    const alice2 = await deletedTree(c.f, 1, 'alice');
    const bob = await stuckDeletion(c.f, 'bob');

    await c.open('/console/deletions');
    await c.signIn(A);
    await loaded();
    expect((await rowIds()).sort()).toEqual([alice1.root, alice2.root, bob.id].sort());
    await c.screenshot('deletions');

    // Filter by status through the form: the values land in the URL.
    await c.page.getByLabel('Status').selectOption('failing');
    await c.page.getByRole('button', { name: 'Filter' }).click();
    await c.page.waitForURL(/status=failing/);
    await loaded();
    expect(await rowIds()).toEqual([bob.id]);
    const row = c.page.getByRole('row').filter({ hasText: bob.id });
    expect(await row.textContent()).toMatch(/failing/);
    expect(await row.textContent()).toMatch(/outside the rollout roots/);

    // And by actor: both filters together, then the actor alone.
    await c.page.getByLabel('Requested by').fill('alice');
    await c.page.getByRole('button', { name: 'Filter' }).click();
    await c.page.waitForURL(/actor=alice/);
    await c.page.getByText('No deletion matches these filters.').waitFor();
    await c.page.getByLabel('Status').selectOption('');
    await c.page.getByRole('button', { name: 'Filter' }).click();
    await c.page.waitForURL(
      (u) => u.searchParams.get('actor') === 'alice' && !u.searchParams.has('status'),
    );
    await loaded();
    expect((await rowIds()).sort()).toEqual([alice1.root, alice2.root].sort());

    // A deep link with filters loads them, into the table and the form.
    await c.open('/console/deletions?status=deleted&actor=alice');
    await loaded();
    expect((await rowIds()).sort()).toEqual([alice1.root, alice2.root].sort());
    expect(await c.page.getByLabel('Status').inputValue()).toBe('deleted');
    expect(await c.page.getByLabel('Requested by').inputValue()).toBe('alice');
    // A time range that holds none of them.
    await c.open('/console/deletions?until=2000-01-01');
    await c.page.getByText('No deletion matches these filters.').waitFor();
    // A time the API cannot read: its reason said, not a broken page.
    await c.open('/console/deletions?since=last-tuesday');
    const refused = c.page.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/since.*ISO 8601/);

    // Each row opens its record.
    await c.open('/console/deletions?actor=bob');
    await loaded();
    await c.page.getByRole('link', { name: bob.id }).click();
    await c.page.waitForURL(`**/console/deletions/${bob.id}`);
    expect(c.errors).toEqual([]);
  });

  it('pages with the keyset cursor: "Next page" until the last', async () => {
    const roots: string[] = [];
    for (let i = 0; i < 5; i++) roots.push((await deletedTree(c.f, 1)).root);

    await c.open('/console/deletions?limit=2');
    await c.signIn(A);
    const seen: string[] = [];
    for (let page = 0; ; page++) {
      await loaded();
      const ids = await rowIds();
      expect(ids.length).toBe(page < 2 ? 2 : 1);
      seen.push(...ids);
      const next = c.page.getByRole('link', { name: 'Next page' });
      if ((await next.count()) === 0) break;
      await next.click();
      await c.page.waitForURL(/cursor=/);
      await c.page.waitForFunction((before) => {
        const first = document.querySelector('tbody th[scope="row"]')?.textContent;
        return first !== undefined && first !== before;
      }, ids[0]);
    }
    // Newest first, every one once.
    expect(seen).toEqual([...roots].reverse());
    expect(c.errors).toEqual([]);
  });

  it('exports the matching deletions as CSV and JSON files', async () => {
    const alice = await deletedTree(c.f, 2, 'alice');
    const bob = await stuckDeletion(c.f, 'bob');

    await c.open('/console/deletions?actor=alice');
    await c.signIn(A);
    await loaded();

    const [csv] = await Promise.all([
      c.page.waitForEvent('download'),
      c.page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^deletions-.*\.csv$/);
    const lines = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,rootThreadId,status,reason,requestedBy,/);
    // The filter applies to the export: alice's deletion, not bob's.
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${alice.root},${alice.root},deleted,retention,alice,`)),
    ]);
    expect(lines.join('\n')).not.toContain(bob.id);

    const [json] = await Promise.all([
      c.page.waitForEvent('download'),
      c.page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    expect(json.suggestedFilename()).toMatch(/^deletions-.*\.json$/);
    const rows = JSON.parse(await readFile((await json.path())!, 'utf8'));
    expect(rows).toEqual([
      expect.objectContaining({
        id: alice.root,
        status: 'deleted',
        requestedBy: 'alice',
        threadCount: 2,
      }),
    ]);
    expect(c.errors).toEqual([]);
  });
});
