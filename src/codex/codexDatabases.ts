import Database from 'better-sqlite3';
import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { holdsOpen } from '../io/confinedPath.js';

/**
 * Codex's own SQLite databases at the root of a home: `<family>_<schema version>.sqlite`
 * (0.169.0: state_5, logs_2, goals_1, queue_1, memories_1). A newer Codex may bump a version and
 * leave the old file behind: every version found is a database to purge.
 */
const DATABASE = /^(state|logs|goals|queue|memories)_\d+\.sqlite$/;

export const isCodexDatabaseName = (name: string): boolean => DATABASE.test(name);

/** The Codex databases of a home: regular files only (a symlink is not followed). */
export const codexDatabasesIn = (home: string): string[] => {
  let entries: Dirent[];
  try {
    entries = readdirSync(home, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && isCodexDatabaseName(e.name))
    .map((e) => join(resolve(home), e.name))
    .sort();
};

/** A database that another connection keeps from being purged or scrubbed now; retried later. */
export class DatabaseBusyError extends Error {
  override readonly name = 'DatabaseBusyError';
}

export type TableRows = { table: string; rows: number };

/** How long one statement waits on Codex's locks before the step fails and is retried. */
const BUSY_TIMEOUT_MS = 100;
/** Triggers may write a deleted thread's id back (queue_1's revisions): a few rounds empty them. */
const MAX_ROUNDS = 4;

type Target = { table: string; where: string };

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Where a table holds a thread's rows, by introspection, not by a fixed list: `threads` by `id`,
 * any table by a `thread_id` column, a spawn-edge table by either end, and any other table by a
 * `rollout_path` that is one of the thread's rollouts.
 */
const targetsOf = (db: Database.Database): Target[] => {
  const tables = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .all()
    .map((r) => r.name);
  const out: Target[] = [];
  for (const table of tables) {
    const cols = new Set(db.prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`).all(table).map((c) => c.name));
    const q = quoteIdent(table);
    const ids = '(SELECT value FROM json_each(@ids))';
    if (table === 'threads' && cols.has('id')) out.push({ table, where: `DELETE FROM ${q} WHERE id IN ${ids}` });
    if (cols.has('thread_id')) out.push({ table, where: `DELETE FROM ${q} WHERE thread_id IN ${ids}` });
    if (cols.has('parent_thread_id') && cols.has('child_thread_id')) {
      out.push({ table, where: `DELETE FROM ${q} WHERE parent_thread_id IN ${ids} OR child_thread_id IN ${ids}` });
    }
    if (table !== 'threads' && cols.has('rollout_path')) {
      out.push({ table, where: `DELETE FROM ${q} WHERE rollout_path IN (SELECT value FROM json_each(@paths))` });
    }
  }
  return out;
};

/**
 * Deletes every row of these threads from one Codex database, zeroing what it deletes
 * (`secure_delete`), compacts the file (VACUUM: what Codex overwrote earlier is in free space),
 * then checkpoints and truncates the WAL, so that no byte of the rows is left in the file, its
 * `-wal` or its free pages. Each thread is purged in its own statement so that
 * its counts are its own; all in one write transaction, held by no `await` (better-sqlite3 is
 * synchronous). Codex may hold the database: a lock held past the busy timeout, or a reader that
 * keeps the WAL from being emptied, is a DatabaseBusyError (the step fails and is retried).
 */
export const purgeThreadRows = (
  path: string,
  threads: readonly { threadId: string; rolloutPaths: readonly string[] }[],
): Map<string, TableRows[]> => {
  const st = lstatSync(path, { throwIfNoEntry: false });
  const out = new Map<string, TableRows[]>(threads.map((t) => [t.threadId, []]));
  if (st === undefined) return out; // gone with its home: nothing of the thread is left in it
  if (!st.isFile()) throw new Error(`refusing ${path}: it is not a regular file`);
  const db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    // SQLite opens by name: before it writes anything, the file it opened must be the one checked
    // (not a symlink swapped in between, which it would have followed).
    if (!holdsOpen(st)) throw new Error(`refusing ${path}: it was replaced while it was opened (a symlink is not followed)`);
    db.pragma('secure_delete = ON');
    // Every table is purged by its own statement and counted; no cascade deletes rows unseen.
    db.pragma('foreign_keys = OFF');
    const statements = targetsOf(db).map((t) => ({ table: t.table, stmt: db.prepare(t.where) }));
    const counts = new Map<string, Map<string, number>>();
    const purge = db.transaction(() => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let changed = 0;
        for (const { threadId, rolloutPaths } of threads) {
          const params = { ids: JSON.stringify([threadId]), paths: JSON.stringify(rolloutPaths) };
          const byTable = counts.get(threadId) ?? new Map<string, number>();
          counts.set(threadId, byTable);
          for (const { table, stmt } of statements) {
            const n = stmt.run(params).changes;
            if (n > 0) byTable.set(table, (byTable.get(table) ?? 0) + n);
            changed += n;
          }
        }
        if (changed === 0) break;
      }
    });
    try {
      purge.immediate();
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DatabaseBusyError(`${basename(path)} is locked by another process`);
      throw err;
    }
    const total = [...counts.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    // Codex writes without secure_delete: older versions of these rows (a preview updated, a row
    // moved) sit in free space that no delete reaches. VACUUM rewrites every page of the file.
    try {
      db.exec('VACUUM');
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new DatabaseBusyError(`${basename(path)}: ${total} rows deleted, but it is locked by another process and cannot be compacted yet`);
      }
      throw err;
    }
    scrub(db, path, total);
    for (const [threadId, byTable] of counts) {
      out.set(threadId, [...byTable].map(([table, rows]) => ({ table, rows })).sort((a, b) => a.table.localeCompare(b.table)));
    }
    return out;
  } finally {
    db.close();
  }
};

/** Empties the WAL into the database file and truncates it; fails while a reader holds it. */
const scrub = (db: Database.Database, path: string, deleted: number): void => {
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  const walBytes = lstatSync(join(dirname(path), `${basename(path)}-wal`), { throwIfNoEntry: false })?.size ?? 0;
  if (r && r.busy === 0 && walBytes === 0) return;
  throw new DatabaseBusyError(
    `${basename(path)}: ${deleted} rows deleted, but another connection holds a read transaction and its WAL ` +
      `(${walBytes} bytes) cannot be emptied yet`,
  );
};
