import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { useHttpServer } from './httpServerFixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Debian's chromium; CHROMIUM_PATH names another. `.ci/run` installs it when it is missing. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots of each page, kept as test artifacts (not committed). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');

let built = false;
/** Builds the console once per process, as `npm run build` does. */
export const buildConsole = (): void => {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'buildConsole.mjs')], { stdio: 'inherit' });
  built = true;
};

export type ConsoleFixture = ReturnType<typeof useHttpServer> & {
  browser: Browser;
  page: Page;
  /** Opens a console path (`/console/...`) in the page, as a deep link. */
  open(path: string): Promise<void>;
  /** Types a token into the sign-in form, as a reviewer would. */
  signIn(token: string): Promise<void>;
  /** Saves a screenshot of the page as `test-artifacts/console/<name>.png` (full page). */
  screenshot(name: string): Promise<string>;
  /** What the page logged as errors (uncaught exceptions, console.error): a spec expects none. */
  errors: string[];
};

/**
 * A real listening server (useHttpServer: a fresh ledger per test, tokens W / A / ADM) and a real
 * headless Chromium page on it. The browser is launched once per file.
 */
export const useConsole = (): ConsoleFixture => {
  const s = useHttpServer() as ConsoleFixture;
  beforeAll(async () => {
    buildConsole();
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
      );
    s.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await s.browser?.close();
  });
  beforeEach(async () => {
    s.errors = [];
    s.page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
    s.page.on('pageerror', (e) => s.errors.push(`pageerror: ${e.message}`));
    s.page.on('console', (m) => {
      // A refused request (a 401 before signing in) is the browser's log, not the page's error.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        s.errors.push(m.text());
    });
    s.open = async (path) => {
      await s.page.goto(`${s.base}${path}`);
    };
    s.signIn = async (token) => {
      await s.page.getByLabel('Bearer token').fill(token);
      await s.page.getByRole('button', { name: 'Sign in' }).click();
    };
    s.screenshot = async (name) => {
      const file = join(ARTIFACTS, `${name}.png`);
      await s.page.screenshot({ path: file, fullPage: true });
      return file;
    };
  });
  afterEach(async () => {
    await s.page?.close();
  });
  return s;
};
