import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A, callServer } from '../support/httpServerFixture.js';
import { deleteSubtree } from './deletedSubtree.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const SECRET = 'secret name';

describe("a thread's timeline in the reviewer console, in a real browser", () => {
  const c = useConsole();
  const call = callServer(() => c.base);

  /** The sealed values (ciphertext) of a thread's history, as the API gives them. */
  const ciphertexts = async (id: string): Promise<string[]> => {
    const h = await call('GET', `/v1/threads/${id}/history`, A);
    return JSON.stringify(h.body)
      .match(/"sealed":"[^"]+"/g)!
      .map((s) => s.slice(10, -1));
  };

  it('lists every event as recorded, content sealed then shredded and never in clear; the subtree as a tree; a link to its deletion', async () => {
    const root = await c.f.root(SECRET);
    const child = await c.f.child(root);
    const sealed = await ciphertexts(root);
    expect(sealed.length).toBeGreaterThan(0);

    // Live: its content is sealed, and said so.
    await c.open(`/console/threads/${root}`);
    await c.signIn(A);
    const timeline = c.page.getByRole('table').filter({ has: c.page.getByText('ThreadStarted') });
    await timeline.waitFor();
    expect(await timeline.getByText('sealed', { exact: false }).count()).toBeGreaterThan(0);
    expect(await timeline.getByText('shredded').count()).toBe(0);
    expect(await c.page.content()).not.toContain(SECRET);

    await deleteSubtree(c, root, 'asked by the user (ticket 7)');
    await c.page.reload();
    const types = c.page.locator('table.timeline th[scope="row"]');
    await c.page.getByText('sealed values are shredded').waitFor();
    const listed = await types.allTextContents();
    const history = await call('GET', `/v1/threads/${root}/history`, A);
    // Every event, in the log's order, as recorded.
    expect(listed).toEqual(history.body.events.map((e: { type: string }) => e.type));
    expect(listed).toEqual(
      expect.arrayContaining(['ThreadStarted', 'ThreadDeleteRequested', 'ThreadContentShredded']),
    );
    const tombstone = c.page.getByRole('row').filter({ hasText: 'ThreadDeleteRequested' });
    expect(await tombstone.textContent()).toContain('asked by the user (ticket 7)');
    expect(await tombstone.textContent()).toContain('req-1');
    expect(await tombstone.textContent()).toContain('test');
    const started = c.page.getByRole('row').filter({ hasText: 'ThreadStarted' });
    expect(await started.getByText('shredded').count()).toBe(2); // its name and its preview
    const page = await c.page.content();
    expect(page).not.toContain(SECRET);
    for (const s of sealed) expect(page).not.toContain(s);

    // The subtree: each node a link to its timeline, its status as a word.
    const tree = c.page.getByRole('group', { name: 'Spawn tree' });
    expect(await tree.getByRole('listitem').count()).toBe(2);
    const childItem = tree.getByRole('listitem').filter({ hasText: child }).last();
    expect(await childItem.textContent()).toContain('deleted');
    await c.screenshot('thread');

    // Its deletion is a link; the child's timeline one click away.
    expect(await c.page.getByRole('link', { name: 'Its deletion' }).getAttribute('href')).toBe(
      `/console/deletions/${root}`,
    );
    await childItem.getByRole('link', { name: child }).click();
    await c.page.getByRole('heading', { name: `Thread ${child}` }).waitFor();
    expect(c.page.url()).toBe(`${c.base}/console/threads/${child}`);
    await c.page.getByText('ThreadDeleted').first().waitFor();
    expect(await c.page.getByRole('link', { name: /Its deletion/ }).getAttribute('href')).toBe(
      `/console/deletions/${root}`,
    );
    expect(c.errors).toEqual([]);
  });

  it('says so when the thread has no history', async () => {
    await c.open('/console/threads/01a21371-4b35-72ca-ac7d-282102267fc9');
    await c.signIn(A);
    const alert = c.page.getByRole('alert').first();
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/404 Thread Not Found/);
  });
});
