import type Database from 'better-sqlite3';
import type { StoredEvent } from '../store/eventCodec.js';

/**
 * A read model folded from the global log. Its tables carry a suffix so that a rebuild can fill
 * fresh copies (`_next`) while queries keep reading the live ones, then swap them in.
 */
export interface Projection {
  readonly name: string;
  readonly tables: readonly string[];
  /** DDL of the tables for a suffix (`CREATE TABLE IF NOT EXISTS`). */
  schema(suffix: string): string;
  /** DDL of the indexes: a rebuild fills its tables first and indexes them once, at the end. */
  indexes(suffix: string): string;
  /** Prepares the fold step for the tables of a suffix. Runs inside the runner's transaction. */
  handler(db: Database.Database, suffix: string): (e: StoredEvent) => void;
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
