import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A, W } from '../support/httpServerFixture.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('signing in to the reviewer console, in a real browser', () => {
  const c = useConsole();

  it('asks for a token, keeps it for the tab, and shows the console to an auditor', async () => {
    await c.open('/console/');
    await c.page.getByRole('heading', { name: 'Sign in to the reviewer console' }).waitFor();
    await c.screenshot('sign-in');
    await c.signIn(A);
    await c.page.getByRole('navigation', { name: 'Sections' }).waitFor();
    expect(await c.page.evaluate(() => sessionStorage.getItem('thread-ledger.token'))).toBe(A);
    // A deep link in the same tab needs no second sign-in.
    await c.open('/console/deletions');
    await c.page.getByRole('link', { name: 'Deletions' }).waitFor();
    expect(await c.page.getByRole('link', { name: 'Deletions' }).getAttribute('aria-current')).toBe(
      'page',
    );
    expect(c.errors).toEqual([]);
  });

  it('refuses a writer politely: a clear message, not a broken page', async () => {
    await c.open('/console/threads');
    await c.signIn(W);
    const alert = c.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/needs a token with the auditor role/);
    await c.screenshot('refused-writer');
    await c.page.getByRole('button', { name: 'Sign in with another token' }).click();
    await c.page.getByLabel('Bearer token').waitFor();
  });

  it('says a token it does not know was not accepted', async () => {
    await c.open('/console/');
    await c.signIn('not-a-token-at-all-0000');
    await c.page.getByText('That token was not accepted.').waitFor();
  });
});
