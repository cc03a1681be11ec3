import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { buildConsole, CHROMIUM } from '../support/consoleBrowser.js';
import { ledgerFixture } from '../support/ledgerFixture.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describe('the console with no tokens configured (loopback open mode)', () => {
  it('asks for no token: the overview opens at once', async () => {
    buildConsole();
    const f = await ledgerFixture();
    const app = await buildServer(f.ledger, { tokens: [], dataDir: join(f.dir, 'data') });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/console/`);
      await page.getByRole('navigation', { name: 'Sections' }).waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
      expect(await page.getByLabel('Bearer token').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    } finally {
      await browser.close();
      await app.close();
      await f.close();
    }
  });
});
