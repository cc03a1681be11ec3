import {
  appendFileSync,
  type FSWatcher,
  mkdirSync,
  rmSync,
  symlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodexConfig } from '../../src/codex/codexConfig.js';
import { CodexHome } from '../../src/codex/codexHome.js';
import { CodexHomeWatch, type WatchFn } from '../../src/codex/codexHomeWatch.js';
import { HomeRefresh } from '../../src/codex/homeRefresh.js';
import { WatchedConfig } from '../../src/codex/watchedConfig.js';
import { writeRollout } from '../support/codexHomeFixture.js';
import { tempDir } from '../support/tempDir.js';
import { until } from '../support/until.js';

const rollout = (home: string, createdAt: string, archived = false) =>
  writeRollout(home, {
    id: uuidv7(),
    parent: null,
    depth: 0,
    archived,
    name: null,
    source: 'cli',
    cwd: '/home/dev',
    preview: 'hello',
    createdAt: new Date(createdAt),
  });

/** Every watch the watcher opened, and whether it was closed since. */
const counting = (opened: { dir: string; closed: boolean }[]): WatchFn => {
  return (dir, listener) => {
    const w = watch(dir, { persistent: false }, (e, n) => listener(e, n));
    const entry = { dir, closed: false };
    opened.push(entry);
    const close = w.close.bind(w);
    w.close = () => {
      entry.closed = true;
      close();
    };
    return w;
  };
};

describe('watching a Codex home for the quick scan', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let home: CodexHome;
  let w: CodexHomeWatch;
  let broken: string[];

  beforeEach(async () => {
    dir = await tempDir();
    rollout(dir.path, '2026-03-01T10:00:00Z');
    rollout(dir.path, '2026-03-02T10:00:00Z');
    rollout(dir.path, '2026-02-01T10:00:00Z', true);
    home = new CodexHome(dir.path);
    broken = [];
    w = new CodexHomeWatch(home, { onBroken: (why) => broken.push(why) });
    expect(w.start()).toBe(true);
    home.follow(w);
    await home.listRollouts({ full: true });
  });
  afterEach(async () => {
    w.close();
    await dir.remove();
  });

  const listed = async () => (await home.listRollouts()).map((f) => f.path);
  const day = (d: string) => join(dir.path, 'sessions', '2026', '03', d);

  it('lists a rollout written in a day folder that appears after the start, and watches that folder', async () => {
    const before = w.generation;
    const path = rollout(dir.path, '2027-01-05T10:00:00Z'); // new year, month and day folders
    await until(() => w.generation !== before, 5000, 'the event');
    expect(await listed()).toContain(path);
    expect(w.days()).toContain(join(dir.path, 'sessions', '2027', '01', '05'));
    const second = rollout(dir.path, '2027-01-05T11:00:00Z');
    await until(async () => (await listed()).includes(second), 5000, 'the second rollout');
  });

  it('sees a rollout grow in an older day folder, which the scan without a watch leaves to the full scan', async () => {
    const [older] = (await home.listRollouts()).filter((f) => f.path.startsWith(day('01')));
    appendFileSync(older!.path, '{"type":"event_msg"}\n');
    const grown = async () =>
      (await home.listRollouts()).find((f) => f.path === older!.path)!.mtimeMs !== older!.mtimeMs;
    // The file's mtime has millisecond precision: wait until the clock moved past it.
    await until(grown, 5000, 'the new mtime');
  });

  it('follows a day folder deleted and made again, and an archived rollout', async () => {
    rmSync(day('02'), { recursive: true });
    await until(async () => !(await listed()).some((p) => p.startsWith(day('02'))), 5000, 'gone');
    const again = rollout(dir.path, '2026-03-02T12:00:00Z');
    await until(async () => (await listed()).includes(again), 5000, 'the new folder');
    const later = rollout(dir.path, '2026-03-02T13:00:00Z');
    await until(async () => (await listed()).includes(later), 5000, 'the new folder watched');
    // Deleted and made again before any event is seen: the new folder (another inode) is watched.
    rmSync(day('02'), { recursive: true });
    rollout(dir.path, '2026-03-02T15:00:00Z');
    await new Promise((r) => setTimeout(r, 50));
    const third = rollout(dir.path, '2026-03-02T16:00:00Z');
    await until(
      async () => (await listed()).includes(third),
      5000,
      'the folder made again watched',
    );
    const archived = rollout(dir.path, '2026-02-03T10:00:00Z', true);
    await until(async () => (await listed()).includes(archived), 5000, 'the archived rollout');
  });

  it('never watches through a symlink: a folder outside the home linked in is neither watched nor listed', async () => {
    const outside = await tempDir();
    try {
      mkdirSync(join(outside.path, '09'));
      symlinkSync(join(outside.path, '09'), join(dir.path, 'sessions', '2026', '03', '09'));
      symlinkSync(outside.path, join(dir.path, 'sessions', '2031'));
      const marker = rollout(dir.path, '2026-03-03T10:00:00Z'); // an event after the links
      await until(async () => (await listed()).includes(marker), 5000, 'the marker');
      expect(w.days().filter((d) => d.includes('/09') || d.includes('2031'))).toEqual([]);
      const before = w.generation;
      writeFileSync(join(outside.path, '09', 'rollout-2026-03-09T10-00-00-x.jsonl'), '{}\n');
      await new Promise((r) => setTimeout(r, 200));
      expect(w.generation).toBe(before);
    } finally {
      await outside.remove();
    }
  });

  it("does not count changes to the home's other files (Codex's databases)", async () => {
    await new Promise((r) => setTimeout(r, 100));
    const before = w.generation;
    writeFileSync(join(dir.path, 'state_5.sqlite-wal'), 'x'.repeat(100));
    writeFileSync(join(dir.path, 'session_index.jsonl'), '{}\n');
    await until(() => w.generation !== before, 5000, 'the session index event');
    const after = w.generation;
    appendFileSync(join(dir.path, 'state_5.sqlite-wal'), 'y');
    await new Promise((r) => setTimeout(r, 200));
    expect(w.generation).toBe(after);
  });

  it('imports only when the home changed, and sees a rollout written just before it is asked', async () => {
    let runs = 0;
    const refresh = new HomeRefresh({ run: async () => runs++ }, w);
    await refresh.run();
    expect(runs).toBe(1);
    await refresh.run();
    expect(runs).toBe(1);
    // Written in this very turn of the loop: its inotify event has not been delivered yet.
    const path = rollout(dir.path, '2026-03-02T14:00:00Z');
    await refresh.run();
    expect(runs).toBe(2);
    expect(await listed()).toContain(path);
  });

  it('asks config.toml again only after the watch saw it change, an edit made just before included', async () => {
    const config = new CodexConfig(dir.path);
    let asked = 0;
    const counted = {
      modelProvider: () => {
        asked++;
        return config.modelProvider();
      },
    };
    const path = join(dir.path, 'config.toml');
    const watched = new WatchedConfig(counted, path, w);
    writeFileSync(path, 'model_provider = "ollama"\n');
    expect(await watched.modelProvider()).toBe('ollama');
    expect(await watched.modelProvider()).toBe('ollama');
    expect(asked).toBe(1);
    writeFileSync(path, 'model_provider = "lmstudio"\n'); // this very turn: no event delivered yet
    expect(await watched.modelProvider()).toBe('lmstudio');
    expect(asked).toBe(2);
    const before = w.generation;
    writeFileSync(path, 'model_provider = "openai"\n');
    expect(await watched.modelProvider()).toBe('openai');
    expect(w.generation).toBe(before); // no reason to import
  });

  it('asks a config.toml that is a symlink every time (its target is not watched)', async () => {
    const outside = await tempDir();
    try {
      writeFileSync(join(outside.path, 'config.toml'), 'model_provider = "ollama"\n');
      const path = join(dir.path, 'config.toml');
      symlinkSync(join(outside.path, 'config.toml'), path);
      const watched = new WatchedConfig(new CodexConfig(dir.path), path, w);
      expect(await watched.modelProvider()).toBe('ollama');
      // Another size: CodexConfig's own cache (mtime, size) sees it.
      writeFileSync(join(outside.path, 'config.toml'), 'model_provider = "lmstudio"\n');
      expect(await watched.modelProvider()).toBe('lmstudio');
    } finally {
      await outside.remove();
    }
  });
});

describe('a watch that cannot go on', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
    for (const d of ['01', '02', '03']) rollout(dir.path, `2026-03-${d}T10:00:00Z`);
  });
  afterEach(async () => dir.remove());

  it('at the watch limit (ENOSPC): closes every watch, says why once, and the quick scan lists instead', async () => {
    const opened: { dir: string; closed: boolean }[] = [];
    const real = counting(opened);
    const limited: WatchFn = (d, l) => {
      if (opened.length >= 4)
        throw Object.assign(
          new Error(`ENOSPC: System limit for number of file watchers reached, watch '${d}'`),
          { code: 'ENOSPC' },
        );
      return real(d, l);
    };
    const home = new CodexHome(dir.path);
    const broken: string[] = [];
    const w = new CodexHomeWatch(home, { onBroken: (why) => broken.push(why), watch: limited });
    expect(w.start()).toBe(false);
    home.follow(w);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toContain('ENOSPC');
    expect(opened.every((o) => o.closed)).toBe(true);
    let runs = 0;
    const refresh = new HomeRefresh({ run: async () => runs++ }, w);
    await refresh.run();
    await refresh.run();
    expect(runs).toBe(2);
    expect(await home.listRollouts()).toHaveLength(3);
  });

  it('when a watcher fails: falls back once, and later changes are still listed by the scan', async () => {
    const opened: FSWatcher[] = [];
    const home = new CodexHome(dir.path);
    const broken: string[] = [];
    const w = new CodexHomeWatch(home, {
      onBroken: (why) => broken.push(why),
      watch: (d, l) => {
        const x = watch(d, { persistent: false }, (e, n) => l(e, n));
        opened.push(x);
        return x;
      },
    });
    expect(w.start()).toBe(true);
    home.follow(w);
    await home.listRollouts({ full: true });
    opened[1]!.emit('error', new Error('EIO: watcher died'));
    opened[2]!.emit('error', new Error('EIO: again'));
    expect(w.healthy).toBe(false);
    expect(broken).toEqual([expect.stringContaining('EIO: watcher died')]);
    const later = rollout(dir.path, '2026-03-04T10:00:00Z');
    expect((await home.listRollouts()).map((f) => f.path)).toContain(later);
  });

  it('closes every watch it opened on close', async () => {
    const opened: { dir: string; closed: boolean }[] = [];
    const w = new CodexHomeWatch(new CodexHome(dir.path), { watch: counting(opened) });
    expect(w.start()).toBe(true);
    rollout(dir.path, '2026-04-01T10:00:00Z');
    await until(() => w.days().length === 4, 5000, 'the new day watched');
    // home, sessions, the year, two months, four days
    expect(opened.filter((o) => !o.closed)).toHaveLength(9);
    w.close();
    expect(opened.every((o) => o.closed)).toBe(true);
    expect(w.healthy).toBe(false);
  });
});
