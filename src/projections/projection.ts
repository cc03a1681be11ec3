import type Database from 'better-sqlite3';
import type { StoredEvent } from '../store/eventCodec.js';
import type { RecordedEvent } from '../store/eventStore.js';

/**
 * The fold step of a projection. `begin` and `end`, when given, run inside each batch's
 * transaction, before its first event and after its last: what a step keeps in memory (rows to
 * write together, the tree's right edge) lives that long, and is read again at the next `begin`,
 * so a batch rolled back or another writer's batch between two of ours leaves nothing stale.
 */
export type Fold = ((e: StoredEvent, recorded: RecordedEvent) => void) & {
  readonly begin?: () => void;
  readonly end?: () => void;
};

/**
 * Folds a batch, inside the caller's transaction: `begin`, each event past `after` (the batch is
 * in log order: those already folded come first), `end`. The one way to run a fold: one called
 * event by event without it may keep its rows.
 */
export const foldBatch = (
  fold: Fold,
  events: readonly StoredEvent[],
  recorded: readonly RecordedEvent[],
  after: bigint | null = null,
): void => {
  fold.begin?.();
  let i = 0;
  if (after !== null) while (i < events.length && events[i]!.position <= after) i++;
  for (; i < events.length; i++) fold(events[i]!, recorded[i]!);
  fold.end?.();
};

/**
 * A read model folded from the global log. Its tables carry a suffix so that a rebuild can fill
 * fresh copies (`_next`) while queries keep reading the live ones, then swap them in.
 */
export interface Projection {
  readonly name: string;
  /**
   * The shape and meaning of its rows (1 when omitted): a new version is refolded from the log
   * when a read.db folded by an older one is opened (see `matchVersion`).
   */
  readonly version?: number;
  readonly tables: readonly string[];
  /**
   * No row of its tables ever holds thread content (names, previews, paths, reasons): hashes,
   * positions, ids. A rebuild drops their old copies without zeroing the freed pages
   * (secure_delete), which was most of its swap's time; content is zeroed as ever.
   */
  readonly holdsNoContent?: boolean;
  /** DDL of the tables for a suffix (`CREATE TABLE IF NOT EXISTS`). */
  schema(suffix: string): string;
  /** DDL of the indexes: a rebuild fills its tables first and indexes them once, at the end. */
  indexes(suffix: string): string;
  /**
   * Prepares the fold step for the tables of a suffix. Runs inside the runner's transaction.
   * `recorded`: the same event as the store gave it (the evidence tree hashes it as stored).
   */
  handler(db: Database.Database, suffix: string): Fold;
}

/** Index names must not collide across a swap, so each creation gets its own token. */
export const indexToken = (): string => Math.random().toString(36).slice(2, 10);

export const createProjectionTables = (
  db: Database.Database,
  p: Projection,
  suffix: string,
  opts: { indexes: boolean } = { indexes: true },
): void => {
  db.exec(p.schema(suffix));
  if (!opts.indexes) return;
  // Index names carry a token, so "IF NOT EXISTS" cannot tell an index is there: look, by what it
  // indexes. Copies that earlier versions made at every open are dropped (each slowed every write).
  const tables = p.tables.map((t) => t + suffix);
  const byShape = new Map<string, string>();
  for (const idx of db
    .prepare<[], { name: string; tbl_name: string; sql: string }>(
      `SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid`,
    )
    .all()) {
    if (!tables.includes(idx.tbl_name)) continue;
    const shape = `${idx.tbl_name} ${idx.sql.slice(idx.sql.indexOf(' ON '))}`;
    if (byShape.has(shape)) db.exec(`DROP INDEX "${idx.name}"`);
    else byShape.set(shape, idx.name);
  }
  if (byShape.size === 0) db.exec(p.indexes(suffix));
};

const VERSIONS = `CREATE TABLE IF NOT EXISTS projection_versions
  (name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID`;

/** Records that a projection's live tables are those of this code's version (a rebuild's swap). */
export const recordVersion = (db: Database.Database, p: Projection): void => {
  db.exec(VERSIONS);
  db.prepare('INSERT OR REPLACE INTO projection_versions (name, version) VALUES (?, ?)').run(
    p.name,
    p.version ?? 1,
  );
};

/**
 * A projection whose tables were folded by another version (a read.db from before versions were
 * recorded counts as version 1) loses them and its checkpoint: they are made again, empty, and
 * the next catch-up folds them from the start of the log while the other projections stay.
 */
export const matchVersion = (db: Database.Database, p: Projection): void => {
  db.transaction(() => {
    db.exec(VERSIONS);
    const row = db
      .prepare<[string], { version: number }>(
        'SELECT version FROM projection_versions WHERE name = ?',
      )
      .get(p.name);
    if ((row?.version ?? 1) !== (p.version ?? 1)) {
      for (const t of p.tables) {
        db.exec(`DROP TABLE IF EXISTS ${t}`);
        db.exec(`DROP TABLE IF EXISTS ${t}_next`);
      }
      db.prepare('DELETE FROM checkpoints WHERE name IN (?, ?)').run(p.name, `${p.name}_next`);
    }
    recordVersion(db, p);
  }).immediate();
};
