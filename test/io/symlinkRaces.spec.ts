import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeThreadRows } from '../../src/codex/codexDatabases.js';
import { CodexHome } from '../../src/codex/codexHome.js';
import { removeLines } from '../../src/io/jsonLinesFile.js';
import { RolloutPurger } from '../../src/io/rolloutFiles.js';
import { SessionIndexFile } from '../../src/io/sessionIndexFile.js';
import { tempDir } from '../support/tempDir.js';

/** Every entry of a tree, not following symlinks: type, mode and bytes (or link target). */
const snapshot = (root: string): Map<string, string> => {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.set(rel, `dir ${mode}`);
      for (const name of readdirSync(p).sort()) walk(join(rel, name));
    } else if (st.isSymbolicLink()) out.set(rel, `link -> ${readlinkSync(p)}`);
    else if (st.isFile()) out.set(rel, `file ${mode} ${readFileSync(p).toString('base64')}`);
    else out.set(rel, `other ${st.mode}`);
  };
  walk('.');
  return out;
};

const differences = (before: Map<string, string>, after: Map<string, string>): string[] => {
  const out: string[] = [];
  for (const [k, v] of before) {
    const now = after.get(k);
    if (now === undefined) out.push(`removed or moved: ${k}`);
    else if (now !== v) out.push(`changed: ${k} (${v.slice(0, 40)}… -> ${now.slice(0, 40)}…)`);
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`created: ${k}`);
  return out;
};

const openFds = (): number => readdirSync('/proc/self/fd').length;

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

const linux = process.platform === 'linux';

type Target = { path: string; aside: string; link: string };

/** The attacker (test/support/symlinkSwapper.mjs), on a thread of its own: swaps while running, puts everything back when stopped. */
const startSwapper = (targets: Target[]) => {
  const control = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(new URL('../support/symlinkSwapper.mjs', import.meta.url), {
    workerData: { targets, control: control.buffer, seed: Date.now() },
  });
  const errors: string[] = [];
  worker.on('message', (m: string) => errors.push(m));
  const swapper = {
    run: () => {
      Atomics.store(control, 1, 0);
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
    },
    stop: () => {
      Atomics.store(control, 0, 0);
      Atomics.notify(control, 0);
      const deadline = Date.now() + 5_000;
      while (Atomics.load(control, 1) === 0 && Date.now() < deadline)
        Atomics.wait(control, 1, 0, 100);
      if (Atomics.load(control, 1) !== 1)
        throw new Error(`the swapper did not put the home back: ${errors.join('\n')}`);
    },
    swaps: () => Atomics.load(control, 2),
    close: async () => {
      Atomics.store(control, 0, 2);
      Atomics.notify(control, 0);
      await worker.terminate();
    },
  };
  swapper.stop();
  return swapper;
};

/** A Codex database as Codex keeps it (WAL), with rows of threads `x` and `y`. */
const makeDatabase = (path: string) => {
  const t = new Database(path);
  t.pragma('journal_mode = WAL');
  t.exec(
    `CREATE TABLE threads (id TEXT PRIMARY KEY, title TEXT); INSERT INTO threads VALUES ('y', 'a title'), ('x', 'another');`,
  );
  t.close();
};

describe.runIf(linux)(
  'folders and files swapped for symlinks while the ledger works on them',
  () => {
    const ITERATIONS = 200;
    let base: { path: string; remove: () => Promise<void> };
    beforeAll(async () => {
      base = await tempDir('thread-ledger-races-');
    });
    afterAll(async () => {
      await base.remove();
    });

    it('never removes, moves, writes or creates a file outside the roots: purges (large and small), archive/unarchive moves, index appends and rewrites', {
      timeout: 30_000,
    }, async () => {
      const homeDir = join(base.path, 'home');
      const victim = join(base.path, 'victim');
      const home = new CodexHome(homeDir);
      const day = join(home.sessionsDir, '2026', '01', '02');
      const large = 'rollout-2026-01-02T00-00-00-00000000-0000-4000-8000-00000000000a.jsonl';
      const small = 'rollout-2026-01-02T00-00-01-00000000-0000-4000-8000-00000000000b.jsonl';
      const toArchive = 'rollout-2026-01-02T00-00-02-00000000-0000-4000-8000-00000000000c.jsonl';
      const toUnarchive = 'rollout-2026-01-02T00-00-03-00000000-0000-4000-8000-00000000000d.jsonl';
      const names = [
        large,
        small,
        toArchive,
        `${toArchive}.zst`,
        toUnarchive,
        `${toUnarchive}.zst`,
      ];
      const bigLine = `${JSON.stringify({ type: 'response_item', payload: { text: 'x'.repeat(1000) } })}\n`;
      const bigContent = bigLine.repeat(Math.ceil((1.25 * (1 << 20)) / bigLine.length)); // > 1 MiB: the asynchronous path

      // The victim tree: files of the same names wherever a swapped symlink would lead.
      const makeVictim = () => {
        rmSync(victim, { recursive: true, force: true });
        for (const folder of ['day', join('month', '02'), join('year', '01', '02'), 'archived']) {
          mkdirSync(join(victim, folder), { recursive: true });
          for (const n of names) writeFileSync(join(victim, folder, n), `victim ${folder}/${n}\n`);
        }
        writeFileSync(
          join(victim, 'session_index.jsonl'),
          '{"id":"victim-y","thread_name":"victim","updated_at":"2026-01-01T00:00:00Z"}\n',
        );
        writeFileSync(
          join(victim, 'history.jsonl'),
          '{"session_id":"victim-y","ts":1,"text":"victim"}\n',
        );
      };
      makeVictim();
      const before = snapshot(victim);

      const targets = [
        {
          path: day,
          aside: join(home.sessionsDir, '2026', '01', '.02.aside'),
          link: join(victim, 'day'),
        },
        {
          path: join(home.sessionsDir, '2026', '01'),
          aside: join(home.sessionsDir, '2026', '.01.aside'),
          link: join(victim, 'month'),
        },
        {
          path: join(home.sessionsDir, '2026'),
          aside: join(home.sessionsDir, '.2026.aside'),
          link: join(victim, 'year'),
        },
        {
          path: home.archivedDir,
          aside: join(homeDir, '.archived_sessions.aside'),
          link: join(victim, 'archived'),
        },
        {
          path: home.sessionIndexPath,
          aside: join(homeDir, '.session_index.aside'),
          link: join(victim, 'session_index.jsonl'),
        },
        {
          path: home.historyPath,
          aside: join(homeDir, '.history.aside'),
          link: join(victim, 'history.jsonl'),
        },
      ];
      const swapper = startSwapper(targets);

      const setUp = (i: number) => {
        rmSync(home.sessionsDir, { recursive: true, force: true });
        rmSync(home.archivedDir, { recursive: true, force: true });
        mkdirSync(day, { recursive: true });
        mkdirSync(home.archivedDir, { recursive: true });
        writeFileSync(join(day, large), bigContent);
        writeFileSync(join(day, small), `small ${i}\n`);
        writeFileSync(join(day, toArchive), `to archive ${i}\n`);
        writeFileSync(join(day, `${toArchive}.zst`), `to archive, compressed ${i}\n`);
        writeFileSync(join(home.archivedDir, toUnarchive), `to unarchive ${i}\n`);
        writeFileSync(
          join(home.archivedDir, `${toUnarchive}.zst`),
          `to unarchive, compressed ${i}\n`,
        );
        writeFileSync(
          home.sessionIndexPath,
          '{"id":"x","thread_name":"x","updated_at":"2026-01-01T00:00:00Z"}\n{"id":"y","thread_name":"y","updated_at":"2026-01-01T00:00:00Z"}\n',
        );
        writeFileSync(
          home.historyPath,
          '{"session_id":"x","ts":1,"text":"x"}\n{"session_id":"y","ts":1,"text":"y"}\n',
        );
      };

      const rng = (() => {
        let s = (Date.now() ^ 0x9e3779b9) >>> 0 || 1;
        return () => {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          return (s >>> 0) / 4294967296;
        };
      })();
      const later = async <T>(op: () => Promise<T> | T): Promise<T> => {
        await ticks(Math.floor(rng() * 8));
        return op();
      };

      const purger = new RolloutPurger([home.sessionsDir, home.archivedDir]);
      const index = new SessionIndexFile(home.sessionIndexPath);
      const done = { removedLarge: 0, removedSmall: 0, moved: 0, appended: 0, refused: 0 };
      let fdsBefore = -1;
      const failures: string[] = [];
      try {
        for (let i = 0; i < ITERATIONS; i++) {
          setUp(i);
          if (i === 1) fdsBefore = openFds();
          swapper.run();
          const results = await Promise.allSettled([
            later(() => purger.purge(join(day, large))),
            later(() => purger.purge(join(day, small))),
            later(() => home.move(join(day, toArchive), home.archivedPathOf(join(day, toArchive)))),
            later(() =>
              home.move(join(home.archivedDir, toUnarchive), home.activePathOf(toUnarchive)),
            ),
            later(() => index.append('z', `name ${i}`, new Date(0))),
            later(() => index.remove(new Set(['y', 'victim-y']))),
            later(() => removeLines(home.historyPath, 'session_id', new Set(['y', 'victim-y']))),
          ]);
          swapper.stop();
          const [pl, ps, ma, mu, ap] = results;
          if (
            pl!.status === 'fulfilled' &&
            (pl!.value as { outcome: string }).outcome === 'removed'
          )
            done.removedLarge++;
          if (
            ps!.status === 'fulfilled' &&
            (ps!.value as { outcome: string }).outcome === 'removed'
          )
            done.removedSmall++;
          if (ma!.status === 'fulfilled') done.moved++;
          if (mu!.status === 'fulfilled') done.moved++;
          if (ap!.status === 'fulfilled') done.appended++;
          done.refused += results.filter((r) => r.status === 'rejected').length;
          const diff = differences(before, snapshot(victim));
          if (diff.length > 0) {
            failures.push(`iteration ${i}: ${diff.join('; ')}`);
            makeVictim(); // and go on: every iteration is checked against the same tree
          }
        }
      } finally {
        await swapper.close();
      }
      const swaps = swapper.swaps();
      expect(
        failures,
        `${failures.length} of ${ITERATIONS} iterations touched the victim tree ${JSON.stringify({ done, swaps })}`,
      ).toEqual([]);
      // The ledger did its work in between (not everything refused), and the swapper did its own.
      expect(swaps).toBeGreaterThan(ITERATIONS);
      // Not everything was simply refused (how much goes through depends on the machine's pace).
      expect(done.removedLarge + done.removedSmall).toBeGreaterThan(0);
      expect(done.moved).toBeGreaterThan(0);
      expect(done.appended).toBeGreaterThan(0);
      // No descriptor left open by any of it, refusals included.
      expect(openFds()).toBeLessThanOrEqual(fdsBefore + 2);
    });

    it("never writes a database outside the roots: one swapped for a symlink between its check and SQLite's open", {
      timeout: 30_000,
    }, async () => {
      const ROUNDS = 400;
      const homeDir = join(base.path, 'db-home');
      const victim = join(base.path, 'db-victim');
      mkdirSync(homeDir);
      mkdirSync(victim);
      const template = join(base.path, 'db-template.sqlite');
      makeDatabase(template);
      copyFileSync(template, join(victim, 'state_5.sqlite'));
      const before = snapshot(victim);
      const db = join(homeDir, 'state_5.sqlite');
      const swapper = startSwapper([
        { path: db, aside: join(homeDir, '.state_5.aside'), link: join(victim, 'state_5.sqlite') },
      ]);
      const failures: string[] = [];
      let purged = 0;
      try {
        for (let i = 0; i < ROUNDS; i++) {
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
          copyFileSync(template, db);
          swapper.run();
          try {
            purgeThreadRows(db, [{ threadId: 'y', rolloutPaths: [] }]);
            purged++;
          } catch {} // refused: a symlink seen, or a file replaced
          swapper.stop();
          const diff = differences(before, snapshot(victim));
          if (diff.length > 0) {
            failures.push(`round ${i}: ${diff.join('; ')}`);
            rmSync(victim, { recursive: true });
            mkdirSync(victim);
            copyFileSync(template, join(victim, 'state_5.sqlite'));
          }
        }
      } finally {
        await swapper.close();
      }
      expect(
        failures,
        `${failures.length} of ${ROUNDS} rounds touched the victim database`,
      ).toEqual([]);
      expect(purged).toBeGreaterThan(0); // not everything refused; how much depends on the machine's pace
    });
  },
);
