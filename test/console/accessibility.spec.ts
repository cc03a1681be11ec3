import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { useConsole } from '../support/consoleBrowser.js';
import { A } from '../support/httpServerFixture.js';
import { deletedTree, stuckDeletion } from './deletionScenes.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

/** The heading levels of the page, in document order. */
const headingLevels = (page: Page) =>
  page.locator('h1, h2, h3, h4, h5, h6').evaluateAll((hs) => hs.map((h) => Number(h.tagName[1])));

/** Every form control without an accessible name: its tag, type and id, to say which. */
const unnamedControls = (page: Page) =>
  page.locator('input, select, textarea, button').evaluateAll((els) => {
    const words = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
    const nameOf = (el: Element): string => {
      const labelledBy = el.getAttribute('aria-labelledby');
      if (labelledBy)
        return words(
          labelledBy
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent)
            .join(' '),
        );
      const aria = words(el.getAttribute('aria-label'));
      if (aria) return aria;
      const labels = (el as HTMLInputElement).labels;
      const labelled = words([...(labels ?? [])].map((l) => l.textContent).join(' '));
      if (labelled) return labelled;
      if (el instanceof HTMLButtonElement) return words(el.textContent);
      if (el instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(el.type))
        return words(el.value);
      return words(el.getAttribute('title'));
    };
    return els
      .filter((el) => !(el instanceof HTMLInputElement && el.type === 'hidden'))
      .filter((el) => nameOf(el) === '')
      .map((el) => `${el.tagName.toLowerCase()}[type=${el.getAttribute('type')}]#${el.id}`);
  });

/**
 * Every visible element whose own text has a contrast under 4.5:1 (WCAG 2.2 AA for body text)
 * against the background it is painted on: its colour composited over the nearest backgrounds up
 * to an opaque one (the page's white at the end).
 */
const lowContrast = (page: Page) =>
  page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba => {
      const n = c.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
      return [n[0]!, n[1]!, n[2]!, n[3] ?? 1];
    };
    /** `top` painted over the opaque `under`. */
    const over = (top: Rgba, under: Rgba): Rgba => [
      top[0] * top[3] + under[0] * (1 - top[3]),
      top[1] * top[3] + under[1] * (1 - top[3]),
      top[2] * top[3] + under[2] * (1 - top[3]),
      1,
    ];
    const backgroundOf = (el: Element | null): Rgba => {
      const layers: Rgba[] = [];
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let colour: Rgba = [255, 255, 255, 1];
      for (const layer of layers.reverse()) colour = over(layer, colour);
      return colour;
    };
    const luminance = ([r, g, b]: Rgba) => {
      const lin = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const ratio = (a: Rgba, b: Rgba) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    const offenders: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const own = [...el.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .trim();
      if (own === '' || el.closest('option, script, style, noscript')) continue;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (style.visibility !== 'visible' || box.width <= 1 || box.height <= 1) continue;
      if (el.closest('details:not([open]) > :not(summary)')) continue;
      const bg = backgroundOf(el);
      const fg = over(parse(style.color), bg);
      const r = ratio(fg, bg);
      if (r < 4.5)
        offenders.push(
          `${el.tagName.toLowerCase()}.${el.className} "${own.slice(0, 40)}": ${r.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`,
        );
    }
    return offenders;
  });

describe('the reviewer console is accessible, in a real browser', () => {
  const c = useConsole();

  /** The console's pages over a deleted subtree and a failing deletion, signed in as an auditor. */
  const signedInOver = async () => {
    const tree = await deletedTree(c.f, 3);
    const stuck = await stuckDeletion(c.f);
    await c.open('/console/');
    await c.signIn(A);
    return [
      { name: 'overview', path: '/console/' },
      { name: 'threads', path: '/console/threads' },
      { name: 'thread', path: `/console/threads/${tree.all[1]}` },
      { name: 'deletions', path: '/console/deletions' },
      { name: 'deletion (failing)', path: `/console/deletions/${stuck.id}` },
      { name: 'deletion (complete)', path: `/console/deletions/${tree.root}` },
    ];
  };

  /** Opens a page and waits until everything it loads has come (no "Loading…" left). */
  const openLoaded = async (path: string) => {
    await c.open(path);
    await c.page.locator('main h1').first().waitFor();
    await expect
      .poll(() => c.page.locator('[role="status"].loading, .loading').count(), { timeout: 15_000 })
      .toBe(0);
  };

  it('every page: one h1 and no skipped heading level, every control named, contrast of 4.5:1, statuses in words', async () => {
    for (const p of await signedInOver()) {
      await openLoaded(p.path);

      const levels = await headingLevels(c.page);
      expect(
        levels.filter((l) => l === 1),
        `${p.name}: h1s`,
      ).toHaveLength(1);
      expect(levels[0], `${p.name}: the first heading`).toBe(1);
      const skips = levels.flatMap((l, i) =>
        i > 0 && l > levels[i - 1]! + 1 ? [`h${levels[i - 1]} then h${l}`] : [],
      );
      expect(skips, `${p.name}: heading levels skipped`).toEqual([]);

      expect(await unnamedControls(c.page), `${p.name}: controls without a name`).toEqual([]);

      expect(await lowContrast(c.page), `${p.name}: text under 4.5:1`).toEqual([]);

      // A status is a word (with a symbol), never a colour alone: every element coloured by
      // a status (its class) or a verdict says it in words.
      const statuses = await c.page
        .locator('[class*="status-"], .verdict')
        .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
      expect(statuses.length, `${p.name}: statuses shown`).toBeGreaterThan(0);
      expect(
        statuses.filter((s) => !/[a-z]{3,}/.test(s)),
        `${p.name}: statuses without a word`,
      ).toEqual([]);
    }
    expect(c.errors).toEqual([]);
  });

  it('every page: the keyboard alone reaches the nav links and the first control from the top; Enter on “Deletions” opens the deletions', async () => {
    for (const p of await signedInOver()) {
      await openLoaded(p.path);
      const controls = c.page.locator('main').locator('input, select, textarea, button');
      const firstControl =
        (await controls.count()) === 0
          ? null
          : await controls
              .first()
              .evaluate((el) => el.id || el.textContent?.trim() || el.getAttribute('name'));

      // From the top of the page: Tab, noting what each press focuses.
      await c.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      const reached: string[] = [];
      for (let i = 0; i < 60; i++) {
        await c.page.keyboard.press('Tab');
        reached.push(
          await c.page.evaluate(() => {
            const el = document.activeElement;
            if (!el || el === document.body) return '';
            const inNav = el.closest('nav[aria-label="Sections"]') ? 'nav:' : '';
            return inNav + (el.id || el.textContent?.trim() || el.getAttribute('name') || '');
          }),
        );
        if (
          firstControl === null ? reached.includes('nav:Deletions') : reached.includes(firstControl)
        )
          break;
      }
      for (const link of ['nav:Overview', 'nav:Threads', 'nav:Deletions'])
        expect(reached, `${p.name}: ${link} by Tab`).toContain(link);
      if (firstControl !== null)
        expect(reached, `${p.name}: the first control by Tab`).toContain(firstControl);

      // Back to the nav link by Shift+Tab, and Enter on it.
      for (let i = 0; i < 60; i++) {
        const on = await c.page.evaluate(() => document.activeElement?.textContent?.trim());
        if (on === 'Deletions') break;
        await c.page.keyboard.press('Shift+Tab');
      }
      await c.page.keyboard.press('Enter');
      await c.page.waitForURL((u) => u.pathname === '/console/deletions');
      await c.page.getByRole('heading', { level: 1, name: 'Deletions' }).waitFor();
    }
    expect(c.errors).toEqual([]);
  });

  it('the checks find what they look for: a skipped level, an unnamed control, faint text', async () => {
    await c.open('/console/');
    await c.signIn(A);
    await openLoaded('/console/');
    await c.page.evaluate(() => {
      const main = document.querySelector('main')!;
      main.insertAdjacentHTML(
        'beforeend',
        '<h4>Too deep</h4><input id="nameless" /><p class="faint" style="color:#aaa">faint words</p>' +
          '<div style="background:#000"><span class="dark">dark on dark</span></div>',
      );
    });
    const levels = await headingLevels(c.page);
    expect(levels.at(-1)).toBe(4);
    expect(await unnamedControls(c.page)).toEqual(['input[type=null]#nameless']);
    const faint = await lowContrast(c.page);
    expect(faint).toHaveLength(2);
    expect(faint[0]).toMatch(/^p\.faint "faint words": 2\.\d+:1/);
    expect(faint[1]).toMatch(/^span\.dark "dark on dark": 1\.\d+:1/);
  });
});
