import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/events.js';
import { stepDoneBy } from '../../src/domain/purgeSteps.js';
import { exited } from '../support/cli.js';
import {
  buildDeletionHome,
  currentValuesOf,
  type DeletionHome,
  type LoggedEvent,
  listFiles,
  readLog,
  rowsPerTable,
  scanFiles,
  secretsOf,
} from '../support/deletionHome.js';
import { LedgerAppServer, waitFor, within } from '../support/ledgerProcess.js';
import { tempDir } from '../support/tempDir.js';

/**
 * thread-ledger app-server SIGKILLed in the middle of a deletion, then started again on the same
 * CODEX_HOME: its worker resumes at start and finishes, every step recorded exactly once, and
 * nothing of the subtree is left in any file.
 */

const dataDirOf = (h: DeletionHome) => join(h.home, 'thread-ledger');

/** The temp files of rewrites (`.history.jsonl.<hex>.tmp`, `.session_index.jsonl.<hex>.tmp`) in the home. */
const strayTempFiles = (h: DeletionHome) =>
  listFiles(h.home).filter((f) => /^\.(history|session_index)\.jsonl\.[0-9a-f]+\.tmp$/.test(f));

/** An app-server that SIGKILLs itself as it is about to rename a file whose path contains `needle`. */
const CRASH_HOOK = fileURLToPath(new URL('../support/crashOnRename.mjs', import.meta.url));
const crashingOnRename = (needle: string): NodeJS.ProcessEnv => ({
  NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${CRASH_HOOK}`.trim(),
  CRASH_ON_RENAME: needle,
});

/** Deletes the root with an app-server that crashes at the rename of its history.jsonl rewrite. */
const crashAtHistoryRename = async (h: DeletionHome): Promise<void> => {
  const server = await LedgerAppServer.start(h.home, crashingOnRename('.history.jsonl.'));
  try {
    void server.call('thread/delete', { threadId: h.root }, 20_000).catch(() => undefined);
    const gone = await within(exited(server.child), 10_000, 'the crash at the rename');
    expect(gone.signal, server.output.slice(-3000)).toBe('SIGKILL');
  } finally {
    await server.kill();
  }
};
const ofThread = (e: LoggedEvent) => e.data['threadId'] as string | undefined;
const keyOf = (e: LoggedEvent) =>
  stepDoneBy({ type: e.type, data: e.data } as DomainEvent)?.key ?? null;

/** Step events (and closings) of the subtree, by `<thread> <step key>`: how many times each was recorded. */
const recordedSteps = (h: DeletionHome, log: readonly LoggedEvent[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const e of log) {
    const id = ofThread(e);
    if (!id || !h.subtree.includes(id)) continue;
    const key = e.type === 'ThreadDeleted' ? 'complete' : keyOf(e);
    if (key === null) continue;
    out.set(`${id} ${key}`, (out.get(`${id} ${key}`) ?? 0) + 1);
  }
  return out;
};

const isDeleted = (log: readonly LoggedEvent[], id: string) =>
  log.some((e) => e.type === 'ThreadDeleted' && ofThread(e) === id);
const isTombstoned = (log: readonly LoggedEvent[], id: string) =>
  log.some((e) => e.type === 'ThreadDeleteRequested' && ofThread(e) === id);

/** Every thread of the subtree deleted once, each of its steps recorded once, the five databases each once. */
const expectCompletedOnce = (h: DeletionHome, log: readonly LoggedEvent[]) => {
  const counts = recordedSteps(h, log);
  expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
  for (const id of h.subtree) {
    expect(counts.get(`${id} complete`), id).toBe(1);
    expect(counts.get(`${id} codex-home`), id).toBe(1);
    expect(counts.get(`${id} content`), id).toBe(1);
    expect(counts.get(`${id} history:${join(h.home, 'history.jsonl')}`), id).toBe(1);
    for (const db of h.seeded.files)
      expect(counts.get(`${id} database:${db}`), `${id} ${db}`).toBe(1);
    // Nothing recorded for the thread after it was closed.
    const mine = log.filter((e) => ofThread(e) === id);
    expect(mine[mine.length - 1]!.type, id).toBe('ThreadDeleted');
  }
};

const leftovers = (h: DeletionHome): string[] =>
  [
    ...scanFiles(
      h.home,
      h.subtree.flatMap((id) => secretsOf(h, id)),
    ),
  ].map(([n, files]) => `${n} in ${files.map((f) => f.slice(h.home.length + 1)).join(', ')}`);

/** What the kept threads have in the databases, table by table, and their values: compared before and after. */
const keptState = (h: DeletionHome) => ({
  rows: h.kept.map((id) => h.seeded.files.map((db) => rowsPerTable(db, [id]))),
  missing: (() => {
    const values = h.kept.flatMap((id) => currentValuesOf(h, id));
    const found = scanFiles(h.home, values);
    return values.filter((v) => !found.has(v));
  })(),
});

/** Started again: the worker resumes at start; waits (bounded) until the root is deleted. */
const resume = async (h: DeletionHome, ms = 15_000): Promise<LoggedEvent[]> => {
  const server = await LedgerAppServer.start(h.home);
  try {
    if (!isTombstoned(readLog(dataDirOf(h)), h.root)) {
      // Killed before the tombstone was committed: nothing was deleted; the client asks again.
      expect(await server.result('thread/delete', { threadId: h.root }, ms)).toEqual({});
    }
    const done = await waitFor(() => isDeleted(readLog(dataDirOf(h)), h.root), ms, 50);
    expect(done, `root not deleted after the restart\n${server.output.slice(-3000)}`).toBe(true);
    // While it runs, too: nothing of the subtree in any file.
    expect(leftovers(h)).toEqual([]);
  } finally {
    await server.close();
  }
  return readLog(dataDirOf(h));
};

describe('thread-ledger app-server SIGKILLed mid-deletion, then started again', () => {
  it('killed while one database is write-locked (its purge failing busy, the others recorded): resumes and completes, each step once', async () => {
    const dir = await tempDir('delete-crash-lock-');
    const h = buildDeletionHome(dir.path, { subtreeSize: 7, fanout: 2 });
    const logsDb = h.seeded.files.find((f) => f.endsWith('logs_2.sqlite'))!;
    const before = keptState(h);
    const server = await LedgerAppServer.start(h.home);
    // Codex writing to logs_2.sqlite: the purge of that database fails busy until it lets go.
    const lock = new Database(logsDb, { timeout: 0 });
    lock.prepare('BEGIN IMMEDIATE').run();
    try {
      void server.call('thread/delete', { threadId: h.root }, 20_000).catch(() => undefined);
      const purgedElsewhere = () => {
        const log = readLog(dataDirOf(h));
        const purged = log.filter((e) => e.type === 'CodexDatabasePurged').length;
        const busy = log.filter(
          (e) => e.type === 'DeletionStepFailed' && e.data['step'] === `database:${logsDb}`,
        ).length;
        return (
          purged === h.subtree.length * (h.seeded.files.length - 1) && busy >= h.subtree.length
        );
      };
      expect(await waitFor(purgedElsewhere, 10_000, 20), server.output.slice(-3000)).toBe(true);
      await server.kill();
    } finally {
      await server.kill();
      lock.prepare('ROLLBACK').run();
      lock.close();
    }
    const atKill = readLog(dataDirOf(h));
    expect(isDeleted(atKill, h.root)).toBe(false);
    const failed = atKill.find((e) => e.type === 'DeletionStepFailed')!;
    expect(failed.data['error']).toBe('logs_2.sqlite is locked by another process');
    expect(Object.keys(rowsPerTable(logsDb, h.subtree))).toEqual(['logs']); // untouched until the lock goes

    const log = await resume(h);
    expectCompletedOnce(h, log);
    for (const db of h.seeded.files) expect(rowsPerTable(db, h.subtree), db).toEqual({});
    expect(leftovers(h)).toEqual([]);
    expect(keptState(h)).toEqual(before);
    await dir.remove();
  }, 30_000);

  it('killed between a database purge and its record (rows deleted, the WAL held by a reader): resumes, records it once, leaves no byte', async () => {
    const dir = await tempDir('delete-crash-reader-');
    const h = buildDeletionHome(dir.path, { subtreeSize: 7, fanout: 2 });
    const logsDb = h.seeded.files.find((f) => f.endsWith('logs_2.sqlite'))!;
    const before = keptState(h);
    const server = await LedgerAppServer.start(h.home);
    // A reader of logs_2.sqlite (Codex reading its logs) holds a snapshot: the purge deletes and
    // commits the rows, then cannot empty the WAL, and fails: purged, not recorded.
    const reader = new Database(logsDb, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM logs').get();
    try {
      void server.call('thread/delete', { threadId: h.root }, 20_000).catch(() => undefined);
      const deletedUnrecorded = () =>
        readLog(dataDirOf(h)).filter(
          (e) => e.type === 'DeletionStepFailed' && e.data['step'] === `database:${logsDb}`,
        ).length >= h.subtree.length;
      expect(await waitFor(deletedUnrecorded, 10_000, 20), server.output.slice(-3000)).toBe(true);
      await server.kill();
    } finally {
      await server.kill();
      reader.prepare('COMMIT').run();
      reader.close();
    }
    const atKill = readLog(dataDirOf(h));
    const failures = atKill
      .filter((e) => e.type === 'DeletionStepFailed')
      .map((e) => e.data['error'] as string);
    expect(
      failures.every((f) => /^logs_2\.sqlite: \d+ rows deleted, but /.test(f)),
      failures.join('\n'),
    ).toBe(true);
    // The rows are gone from the database, yet no CodexDatabasePurged says so.
    expect(rowsPerTable(logsDb, h.subtree)).toEqual({});
    expect(
      atKill.filter((e) => e.type === 'CodexDatabasePurged' && e.data['path'] === logsDb),
    ).toEqual([]);
    expect(isDeleted(atKill, h.root)).toBe(false);

    const log = await resume(h);
    expectCompletedOnce(h, log);
    const logsRecords = log.filter(
      (e) => e.type === 'CodexDatabasePurged' && e.data['path'] === logsDb,
    );
    expect(logsRecords.map(ofThread).sort()).toEqual([...h.subtree].sort());
    // What the resumed step found to delete: the rows went with the attempt before the kill, which
    // the record of that step does not count (only its DeletionStepFailed error says how many).
    console.info(
      'logs_2 records after the resume:',
      JSON.stringify(logsRecords.map((e) => e.data['tables'])),
    );
    expect(leftovers(h)).toEqual([]);
    expect(keptState(h)).toEqual(before);
    await dir.remove();
  }, 30_000);

  it('killed at the rename of its history.jsonl rewrite (the temp file written, not renamed over it): resumes; no line of the subtree is left in any file', async () => {
    const dir = await tempDir('delete-crash-rename-');
    const h = buildDeletionHome(dir.path, { subtreeSize: 7, fanout: 2 });
    const before = keptState(h);
    await crashAtHistoryRename(h);
    // Cut at that point: history.jsonl still whole, its rewrite beside it without the subtree's lines.
    const history = readFileSync(join(h.home, 'history.jsonl'), 'utf8');
    for (const id of h.subtree) expect(history, id).toContain(`"session_id":"${id}"`);
    expect(strayTempFiles(h).length).toBe(1);
    expect(isDeleted(readLog(dataDirOf(h)), h.root)).toBe(false);

    const log = await resume(h);
    expectCompletedOnce(h, log);
    expect(leftovers(h)).toEqual([]);
    expect(keptState(h)).toEqual(before);
    await dir.remove();
  }, 30_000);

  /**
   * A rewrite's temp file (`.history.jsonl.<hex>.tmp`, fsynced with every line kept) that a crash
   * left before its rename holds the history lines of every other thread: the next rewrite of the
   * file removes it, so a later thread/delete of one of them leaves its text nowhere.
   */
  it('after a crash inside a history.jsonl rewrite, a later delete of a kept thread leaves nothing of it in any file', async () => {
    const dir = await tempDir('delete-crash-tmp-');
    try {
      const h = buildDeletionHome(dir.path, { subtreeSize: 7, fanout: 2 });
      await crashAtHistoryRename(h);
      await resume(h);
      const [k0, , k2] = h.kept as [string, string, string, string]; // k2 is k0's child
      const server = await LedgerAppServer.start(h.home);
      try {
        expect(await server.result('thread/delete', { threadId: k0 }, 20_000)).toEqual({});
      } finally {
        await server.close();
      }
      const found = scanFiles(
        h.home,
        [k0, k2].flatMap((id) => secretsOf(h, id)),
      );
      // Observed today: history:<k0>:typed-1/2 and history:<k2>:typed-1/2 in .history.jsonl.<hex>.tmp.
      expect(
        [...found].map(
          ([n, files]) => `${n} in ${files.map((f) => f.slice(h.home.length + 1)).join(', ')}`,
        ),
      ).toEqual([]);
    } finally {
      await dir.remove();
    }
  }, 30_000);

  it('killed at random points of a 30-thread subtree deletion, 3 times: each resumes to completion, no step recorded twice', async () => {
    // Reproducible: the seed is printed, and CRASH_SEED sets it.
    let seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
    console.info(`CRASH_SEED=${seed}`);
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // A 30-thread deletion takes 120-300 ms here from the request: the cascade of tombstones, the
    // inventory, rollouts and content keys, then the databases, history and index, then the
    // closings, each recorded in bursts. Each iteration kills in its own third of ~130 ms.
    const spanMs = 130;
    const iteration = async (i: number, killAfterMs: number) => {
      const dir = await tempDir(`delete-crash-random-${i}-`);
      const h = buildDeletionHome(dir.path, { subtreeSize: 30, fanout: 3 });
      const server = await LedgerAppServer.start(h.home);
      try {
        void server.call('thread/delete', { threadId: h.root }, 20_000).catch(() => undefined);
        await new Promise((r) => setTimeout(r, killAfterMs));
        await server.kill();
      } finally {
        await server.kill();
      }
      const counts = new Map<string, number>();
      for (const e of readLog(dataDirOf(h)).filter((e) => h.subtree.includes(ofThread(e) ?? '')))
        counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
      console.info(
        `iteration ${i}: killed ${killAfterMs} ms after the request; recorded then: ${JSON.stringify(Object.fromEntries(counts))}`,
      );
      const log = await resume(h);
      expectCompletedOnce(h, log);
      for (const db of h.seeded.files) expect(rowsPerTable(db, h.subtree), db).toEqual({});
      expect(leftovers(h)).toEqual([]);
      // A kill inside a rewrite of history.jsonl or session_index.jsonl leaves its temp file for
      // good (see the KNOWN BUG spec above); it holds none of the subtree (checked just above).
      const stray = strayTempFiles(h);
      if (stray.length > 0)
        console.warn(`iteration ${i}: temp files left in the home: ${stray.join(', ')}`);
      await dir.remove();
    };
    // The three at once, each on its own home: what is measured is where each was cut, not how fast.
    await Promise.all(
      [0, 1, 2].map((i) => iteration(i, Math.floor(((i + random()) / 3) * spanMs))),
    );
  }, 40_000); // ~8-10 s on an idle 2-core machine; the bound leaves room for a loaded one
});
