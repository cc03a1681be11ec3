import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A } from '../support/httpServerFixture.js';
import { deletedTree, stuckDeletion } from './deletionScenes.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('the overview of the reviewer console, in a real browser', () => {
  const c = useConsole();

  /** The number the overview shows beside a status word ("3 deleted"). */
  const count = async (status: 'pending' | 'failing' | 'deleted') => {
    const item = c.page
      .getByRole('list', { name: 'Deletions by status' })
      .getByRole('listitem')
      .filter({ hasText: status });
    return Number(await item.locator('strong').textContent());
  };

  const section = (name: string) => c.page.getByRole('region', { name });

  it('shows the counts by status, the failing step with its error and retry, the checkpoint and the last verification', async () => {
    await deletedTree(c.f, 3);
    const stuck = await stuckDeletion(c.f);

    await c.open('/console/');
    await c.signIn(A);
    const byStatus = c.page.getByRole('list', { name: 'Deletions by status' });
    await byStatus.waitFor();
    expect(await count('failing')).toBeGreaterThanOrEqual(1);
    expect(await count('deleted')).toBeGreaterThanOrEqual(1);
    expect(await count('pending')).toBe(0);

    // The failing step: its thread links to the deletion, its error and next retry said.
    const failing = section('Failing steps');
    // The rollout itself (its compressed sibling `.zst` fails too, on a row of its own).
    const row = failing
      .getByRole('row')
      .filter({ hasText: `rollout:${stuck.path}` })
      .filter({ hasNotText: `${stuck.path}.zst` });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/outside the rollout roots/);
    expect(await row.textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    const link = row.getByRole('link', { name: stuck.id });
    expect(await link.getAttribute('href')).toBe(`/console/deletions/${stuck.id}`);

    // The chart of deletions over time, with its text alternative.
    const overTime = section('Deletions over time');
    await overTime.locator('canvas').first().waitFor();
    expect(await overTime.locator('figcaption').textContent()).toMatch(
      /\d+ deletions requested and \d+ completed/,
    );
    await overTime.getByText('The numbers, as a table').click();
    await overTime.getByRole('columnheader', { name: 'Requested' }).waitFor();

    // Time to complete: the percentiles and the distribution as a table.
    const took = section('Time to complete');
    await took.getByText('Median (p50)').waitFor();
    await took.getByRole('columnheader', { name: 'Completed within' }).waitFor();

    // The evidence: the latest checkpoint read plainly, and the last verification.
    const checkpoint = section('Latest signed checkpoint');
    await checkpoint.getByText('Root hash').waitFor();
    expect(await checkpoint.textContent()).toMatch(/Tree size\s*[\d,]+ events/);
    const verified = section('Last verification of the log');
    await verified.locator('p').first().waitFor();
    expect(await verified.textContent()).toMatch(/Verified|Failed|not been verified yet/);
    expect(await c.page.getByText('Could not load this').count()).toBe(0);

    await c.screenshot('overview');
    expect(c.errors).toEqual([]);
  });

  it('shows a deletion completed while the page is open, without a reload, following the stream from the figures’ position', async () => {
    await deletedTree(c.f, 2);
    const streams: URL[] = [];
    c.page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/events') streams.push(url);
    });
    await c.open('/console/');
    await c.signIn(A);
    await c.page.getByRole('list', { name: 'Deletions by status' }).waitFor();
    await c.page.getByText('Live: follows the event stream.').waitFor();
    const before = await count('deleted');
    expect(before).toBe(1);
    // Opened after the position the figures reflect: the log is not replayed.
    expect(streams.map((u) => u.searchParams.get('after'))).toEqual([
      String(c.f.ledger.runner.position()),
    ]);
    // A mark on the window: a reload would lose it.
    await c.page.evaluate(() => Object.assign(window, { stayedOpen: true }));

    await deletedTree(c.f, 2);

    await expect.poll(() => count('deleted'), { timeout: 15_000 }).toBeGreaterThan(before);
    expect(await c.page.evaluate(() => (window as { stayedOpen?: boolean }).stayedOpen)).toBe(true);
    expect(c.errors).toEqual([]);
  });
});
