import type Database from 'better-sqlite3';

/**
 * Each projection's checkpoint: the position of the last event it applied, in the `checkpoints`
 * table of the read model database, so it commits in the same transaction as the rows it covers.
 */
export class Checkpoints {
  private readonly get;
  private readonly set;
  private readonly replace;
  private readonly remove;
  private readonly least;

  constructor(db: Database.Database) {
    this.get = db.prepare<[string], { position: number | null }>(
      'SELECT position FROM checkpoints WHERE name = ?',
    );
    this.set = db.prepare(
      // Never backwards: a catch-up and the live subscription may apply overlapping batches.
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)',
    );
    this.replace = db.prepare('INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?, ?)');
    this.remove = db.prepare('DELETE FROM checkpoints WHERE name = ?');
    this.least = db.prepare<[string], { n: number; least: number | null }>(
      'SELECT count(position) AS n, min(position) AS least FROM checkpoints WHERE name IN (SELECT value FROM json_each(?))',
    );
  }

  /** Where a projection stands; null before it applied anything. */
  of(name: string): bigint | null {
    const row = this.get.get(name);
    return row?.position == null ? null : BigInt(row.position);
  }

  /** Moves a checkpoint forward to `position` (never back). */
  advance(name: string, position: bigint): void {
    this.set.run(name, position);
  }

  /** Sets a checkpoint as it is, even back or to null: a rebuild's swap hands one table set's to another. */
  put(name: string, position: bigint | null): void {
    this.replace.run(name, position);
  }

  forget(name: string): void {
    this.remove.run(name);
  }

  /**
   * The lowest checkpoint of these projections: where the log must be read from. One query, not
   * one a projection: a `thread/list` asks before each answer.
   */
  lowest(names: readonly string[]): bigint | null {
    const unique = [...new Set(names)];
    if (unique.length === 0) return null;
    const { n, least } = this.least.get(JSON.stringify(unique))!;
    return n < unique.length || least === null ? null : BigInt(least);
  }
}
