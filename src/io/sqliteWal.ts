import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Empties a WAL-mode database's WAL into its file and truncates it, so that no page written
 * before (a deleted row as it was) is left in the `-wal`. Says whether it went through: a reader
 * holding an older snapshot, or a writer, keeps it from completing, and it answers false rather
 * than throw. Done means both: SQLite reports no obstruction and the WAL file is empty. A
 * database not in WAL mode has nothing to empty.
 */
export const emptyWal = (db: Database.Database): boolean => {
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return true;
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r !== undefined && r.busy === 0 && walBytes(db) === 0;
  } catch {
    return false; // SQLITE_BUSY from another writer: the same as a reader holding on
  }
};

/** The size of a database's WAL file now (0 when there is none). */
export const walBytes = (db: Database.Database): number =>
  statSync(`${db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
