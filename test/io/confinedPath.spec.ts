import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodexHome } from '../../src/codex/codexHome.js';
import {
  ConfinedRoot,
  confinementMode,
  holdsOpen,
  NotConfinedError,
  usePathChecksForTests,
} from '../../src/io/confinedPath.js';
import { readLines, removeLines } from '../../src/io/jsonLinesFile.js';
import { RolloutPurger } from '../../src/io/rolloutFiles.js';
import { SessionIndexFile } from '../../src/io/sessionIndexFile.js';
import { tempDir } from '../support/tempDir.js';

const linux = process.platform === 'linux';
const openFds = (): number => readdirSync('/proc/self/fd').length;
const ROLLOUT = 'rollout-2026-01-02T00-00-00-00000000-0000-4000-8000-00000000000a.jsonl';

describe('a folder inside a root, held open', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let home: string;
  let victim: string;
  let day: string;
  beforeEach(async () => {
    dir = await tempDir();
    home = join(dir.path, 'home');
    victim = join(dir.path, 'victim');
    day = join(home, 'sessions', '2026', '01', '02');
    mkdirSync(day, { recursive: true });
    mkdirSync(join(home, 'archived_sessions'));
    mkdirSync(victim);
    writeFileSync(join(victim, ROLLOUT), 'victim');
  });
  afterEach(async () => {
    usePathChecksForTests(false);
    await dir.remove();
  });

  it.runIf(linux)('holds folders open on Linux', () => {
    expect(confinementMode()).toBe('held-folders');
  });

  it('walks below the root without following a symlink, and makes missing folders inside the folder held', () => {
    const root = new ConfinedRoot(join(home, 'sessions'));
    symlinkSync(victim, join(home, 'sessions', '2026', '01', '03'));
    expect(() => root.openDir(['2026', '01', '03'])).toThrow(NotConfinedError);
    expect(() => root.openDir(['2026', '01', '03', 'deeper'], { create: true })).toThrow(
      NotConfinedError,
    );
    expect(root.openDir(['2026', '02'])).toBeNull();
    const made = root.openDir(['2027', '05', '06'], { create: true })!;
    made.close();
    expect(lstatSync(join(home, 'sessions', '2027', '05', '06')).isDirectory()).toBe(true);
    expect(readdirSync(victim)).toEqual([ROLLOUT]);
  });

  it.runIf(linux)('names the folder it opened, even once its path has become a symlink', () => {
    const held = new ConfinedRoot(join(home, 'sessions')).openDir(['2026', '01', '02'])!;
    writeFileSync(join(day, ROLLOUT), 'inside');
    renameSync(day, `${day}.aside`);
    symlinkSync(victim, day);
    try {
      expect(readFileSync(held.at(ROLLOUT), 'utf8')).toBe('inside');
      unlinkSync(held.at(ROLLOUT));
    } finally {
      held.close();
    }
    expect(existsSync(join(`${day}.aside`, ROLLOUT))).toBe(false);
    expect(readFileSync(join(victim, ROLLOUT), 'utf8')).toBe('victim');
  });

  it.runIf(linux)('knows whether a file opened by its name is the file checked before', () => {
    writeFileSync(join(day, ROLLOUT), 'inside');
    const checked = lstatSync(join(day, ROLLOUT));
    const fd = openSync(join(victim, ROLLOUT), 'r'); // what a swapped symlink would have opened
    try {
      expect(holdsOpen(checked)).toBe(false);
      const right = openSync(join(day, ROLLOUT), 'r');
      expect(holdsOpen(checked)).toBe(true);
      closeSync(right);
    } finally {
      closeSync(fd);
    }
  });

  it.runIf(linux)(
    'a large rollout whose folder is swapped for a symlink while it is hashed: the file inside goes, not the victim',
    async () => {
      writeFileSync(join(day, ROLLOUT), Buffer.alloc(3 << 20, 1));
      const purger = new RolloutPurger([join(home, 'sessions'), join(home, 'archived_sessions')]);
      const purge = purger.purge(join(day, ROLLOUT));
      await new Promise<void>((r) => setImmediate(r)); // the hash is under way
      renameSync(day, `${day}.aside`);
      symlinkSync(victim, day);
      expect((await purge).outcome).toBe('removed');
      expect(readFileSync(join(victim, ROLLOUT), 'utf8')).toBe('victim');
      expect(existsSync(join(`${day}.aside`, ROLLOUT))).toBe(false);
    },
  );

  it.runIf(linux)(
    'a rollout replaced under its name while it is hashed is left for the next attempt',
    async () => {
      writeFileSync(join(day, ROLLOUT), Buffer.alloc(3 << 20, 1));
      const purger = new RolloutPurger([join(home, 'sessions')]);
      const purge = purger.purge(join(day, ROLLOUT));
      await new Promise<void>((r) => setImmediate(r));
      renameSync(join(day, ROLLOUT), join(day, 'moved-away'));
      writeFileSync(join(day, ROLLOUT), 'another file');
      await expect(purge).rejects.toThrow(/replaced while it was read/);
      expect(readFileSync(join(day, ROLLOUT), 'utf8')).toBe('another file');
    },
  );

  for (const mode of ['held folders', 'path checks'] as const) {
    it(`refuses symlinks and leaks no descriptor, ${mode}`, async () => {
      usePathChecksForTests(mode === 'path checks');
      const codex = new CodexHome(home);
      const purger = new RolloutPurger([codex.sessionsDir, codex.archivedDir]);
      const index = new SessionIndexFile(codex.sessionIndexPath);
      const linkedDay = join(home, 'sessions', '2026', '01', '03');
      symlinkSync(victim, linkedDay);
      symlinkSync(join(victim, 'session_index.jsonl'), codex.historyPath);
      writeFileSync(join(victim, 'session_index.jsonl'), '{"id":"v"}\n');
      const before = linux ? openFds() : 0;
      for (let i = 0; i < 300; i++) {
        writeFileSync(join(day, ROLLOUT), `rollout ${i}`);
        await codex.move(join(day, ROLLOUT), codex.archivedPathOf(ROLLOUT));
        await codex.move(codex.archivedPathOf(ROLLOUT), join(day, ROLLOUT));
        await expect(codex.move(join(day, ROLLOUT), join(linkedDay, ROLLOUT))).rejects.toThrow(
          /refusing to move .*symlink/,
        );
        await expect(codex.move(join(victim, ROLLOUT), join(day, 'x.jsonl'))).rejects.toThrow(
          /outside/,
        );
        expect((await purger.purge(join(day, ROLLOUT))).outcome).toBe('removed');
        expect((await purger.purge(join(day, ROLLOUT))).outcome).toBe('absent');
        await expect(purger.purge(join(linkedDay, ROLLOUT))).rejects.toThrow(
          /outside the rollout roots/,
        );
        await index.append('t', `name ${i}`, new Date(0));
        expect(index.names().get('t')).toBe(`name ${i}`);
        expect(index.remove(new Set(['t'])).get('t')).toBe(1);
        expect(() => readLines(codex.historyPath)).toThrow(/not a regular file/);
        expect(() => removeLines(codex.historyPath, 'id', new Set(['v']))).toThrow(
          /not a regular file/,
        );
      }
      if (linux) expect(openFds()).toBeLessThanOrEqual(before + 2);
      symlinkSync(join(victim, 'session_index.jsonl'), `${codex.sessionIndexPath}.link`);
      renameSync(`${codex.sessionIndexPath}.link`, codex.sessionIndexPath);
      await expect(index.append('t', 'x', new Date(0))).rejects.toThrow(/not a regular file/);
      expect(readFileSync(join(victim, 'session_index.jsonl'), 'utf8')).toBe('{"id":"v"}\n');
      expect(readFileSync(join(victim, ROLLOUT), 'utf8')).toBe('victim');
      expect(readdirSync(victim).sort()).toEqual([ROLLOUT, 'session_index.jsonl']);
    });
  }
});
