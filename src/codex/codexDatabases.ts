import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { holdsOpen } from '../io/confinedPath.js';
import { emptyWal, walBytes } from '../io/sqliteWal.js';

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

/**
 * Whether a delete can write rows back: only through a trigger, and only a chain that a DELETE
 * starts (foreign keys are off). Without any trigger that mentions DELETE, one round deletes all,
 * and a second would only scan again (state_5: its threads triggers are on insert and update).
 */
const deletesMayWriteBack = (db: Database.Database): boolean =>
  db
    .prepare<[], { sql: string | null }>(`SELECT sql FROM sqlite_master WHERE type = 'trigger'`)
    .all()
    .some((t) => t.sql === null || /\bDELETE\b/i.test(t.sql));

/**
 * One table's statement: every row of any of the threads due, deleted at once, and the columns
 * that say whose row it was (`returning`, in the order they are tested).
 */
type Target = { table: string; sql: string; returning: { column: string; by: 'id' | 'path' }[] };

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Where a table holds a thread's rows, by introspection, not by a fixed list: `threads` by `id`,
 * any table by a `thread_id` column, a spawn-edge table by either end, and any other table by a
 * `rollout_path` that is one of the thread's rollouts. One DELETE per table for every thread due
 * (a table without an index on its thread column is scanned once, not once per thread).
 */
const targetsOf = (db: Database.Database): Target[] => {
  const tables = db
    .prepare<[], { name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
    )
    .all()
    .map((r) => r.name);
  const out: Target[] = [];
  for (const table of tables) {
    const cols = new Set(
      db
        .prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`)
        .all(table)
        .map((c) => c.name),
    );
    const byId: string[] = [];
    if (table === 'threads' && cols.has('id')) byId.push('id');
    if (cols.has('thread_id')) byId.push('thread_id');
    if (cols.has('parent_thread_id') && cols.has('child_thread_id'))
      byId.push('parent_thread_id', 'child_thread_id');
    const byPath = table !== 'threads' && cols.has('rollout_path') ? ['rollout_path'] : [];
    if (byId.length + byPath.length === 0) continue;
    const where = [
      ...byId.map((c) => `${quoteIdent(c)} IN (SELECT value FROM json_each(@ids))`),
      ...byPath.map((c) => `${quoteIdent(c)} IN (SELECT value FROM json_each(@paths))`),
    ];
    const returning = [
      ...byId.map((column) => ({ column, by: 'id' as const })),
      ...byPath.map((column) => ({ column, by: 'path' as const })),
    ];
    out.push({
      table,
      sql: `DELETE FROM ${quoteIdent(table)} WHERE ${where.join(' OR ')} RETURNING ${returning.map((r) => quoteIdent(r.column)).join(', ')}`,
      returning,
    });
  }
  return out;
};

/**
 * Deletes every row of these threads from one Codex database, zeroing what it deletes
 * (`secure_delete`), compacts the file (VACUUM: what Codex overwrote earlier is in free space),
 * then checkpoints and truncates the WAL, so that no byte of the rows is left in the file, its
 * `-wal` or its free pages. One statement per table deletes the rows of every thread due; each
 * row is counted for the first of the threads (in the order given) that it names, as if each
 * thread had been purged in turn. All in one write transaction, held by no `await`
 * (better-sqlite3 is synchronous). Codex may hold the database: a lock held past the busy
 * timeout, or a reader that keeps the WAL from being emptied, is a DatabaseBusyError (the step
 * fails and is retried).
 */
export const purgeThreadRows = (
  path: string,
  threads: readonly { threadId: string; rolloutPaths: readonly string[] }[],
): Map<string, TableRows[]> => {
  const st = lstatSync(path, { throwIfNoEntry: false });
  const out = new Map<string, TableRows[]>(threads.map((t) => [t.threadId, []]));
  if (st === undefined) return out; // gone with its home: nothing of the thread is left in it
  if (!st.isFile()) throw new Error(`refusing ${path}: it is not a regular file`);
  // Whose row it is: the first thread, in the order given, that a returned value names.
  const order = new Map<string, number>();
  const owner = new Map<string, number>();
  threads.forEach(({ threadId, rolloutPaths }, i) => {
    if (!order.has(threadId)) order.set(threadId, i);
    for (const p of rolloutPaths) if (!owner.has(p)) owner.set(p, i);
  });
  const lowered = (m: Map<string, number>) =>
    new Map([...m].reverse().map(([k, i]) => [k.toLowerCase(), i]));
  let loose: { id: Map<string, number>; path: Map<string, number> } | undefined;
  const ownerOf = (row: Record<string, unknown>, returning: Target['returning']): number => {
    let first = Infinity;
    for (const { column, by } of returning) {
      const v = row[column];
      if (typeof v === 'string')
        first = Math.min(first, (by === 'id' ? order : owner).get(v) ?? Infinity);
    }
    if (first !== Infinity) return first;
    // SQLite matched it, by a collation of the column's (NOCASE): the same comparison, loosely.
    loose ??= { id: lowered(order), path: lowered(owner) };
    for (const { column, by } of returning) {
      const v = row[column];
      if (typeof v === 'string')
        first = Math.min(first, loose[by].get(v.toLowerCase()) ?? Infinity);
    }
    return first === Infinity ? 0 : first;
  };
  const params = {
    ids: JSON.stringify([...order.keys()]),
    paths: JSON.stringify([...owner.keys()]),
  };
  const db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    // SQLite opens by name: before it writes anything, the file it opened must be the one checked
    // (not a symlink swapped in between, which it would have followed).
    if (!holdsOpen(st))
      throw new Error(
        `refusing ${path}: it was replaced while it was opened (a symlink is not followed)`,
      );
    db.pragma('secure_delete = ON');
    // Every table is purged by its own statement and counted; no cascade deletes rows unseen.
    db.pragma('foreign_keys = OFF');
    const statements = targetsOf(db).map((t) => ({
      ...t,
      stmt: db.prepare<typeof params, Record<string, unknown>>(t.sql),
    }));
    const counts = threads.map(() => new Map<string, number>());
    const rounds = deletesMayWriteBack(db) ? MAX_ROUNDS : 1;
    const purge = db.transaction(() => {
      for (let round = 0; round < rounds; round++) {
        let changed = 0;
        for (const { table, stmt, returning } of statements) {
          for (const row of stmt.all(params)) {
            const byTable = counts[ownerOf(row, returning)]!;
            byTable.set(table, (byTable.get(table) ?? 0) + 1);
            changed++;
          }
        }
        if (changed === 0) break;
      }
    });
    try {
      purge.immediate();
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY'))
        throw new DatabaseBusyError(`${basename(path)} is locked by another process`);
      throw err;
    }
    const total = counts.reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    // Codex writes without secure_delete: older versions of these rows (a preview updated, a row
    // moved) sit in free space that no delete reaches. VACUUM rewrites every page of the file.
    try {
      db.exec('VACUUM');
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new DatabaseBusyError(
          `${basename(path)}: ${total} rows deleted, but it is locked by another process and cannot be compacted yet`,
        );
      }
      throw err;
    }
    scrub(db, path, total);
    threads.forEach(({ threadId }, i) => {
      const byTable = counts[order.get(threadId)!]!;
      if (order.get(threadId) !== i) return; // a thread listed twice: counted once, as the first
      out.set(
        threadId,
        [...byTable]
          .map(([table, rows]) => ({ table, rows }))
          .sort((a, b) => a.table.localeCompare(b.table)),
      );
    });
    return out;
  } finally {
    db.close();
  }
};

/** Empties the WAL into the database file and truncates it; fails while a reader holds it. */
const scrub = (db: Database.Database, path: string, deleted: number): void => {
  if (emptyWal(db)) return;
  throw new DatabaseBusyError(
    `${basename(path)}: ${deleted} rows deleted, but another connection holds a read transaction and its WAL ` +
      `(${walBytes(db)} bytes) cannot be emptied yet`,
  );
};
