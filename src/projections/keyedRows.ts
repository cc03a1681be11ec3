import type Database from 'better-sqlite3';
import { RowBuffer } from './rowBuffer.js';

type Entry<R> = {
  row: R | null; // null: no row
  stored: boolean | null; // whether the table holds the key (null: not read)
  dirty: boolean;
};

/**
 * A table's rows by key within a batch, folded in memory: each row read at most once (on first
 * use), changed any number of times, and written once at the batch's end, the last write winning
 * (rows kept multi-row, keys gone in one DELETE). A fold step `clear`s at `begin` (rows are read
 * again each batch: a rolled-back batch or another writer leaves nothing stale) and `flush`es at
 * `end`. The first column is the key.
 */
export class KeyedRows<R extends Record<string, unknown>> {
  private readonly entries = new Map<string, Entry<R>>();
  private readonly select: Database.Statement<[string], R>;
  private readonly any: Database.Statement<[], unknown>;
  /** The table held no row when the batch began: no key needs reading (a rebuild's first span). */
  private empty: boolean | null = null;
  private readonly remove: Database.Statement<[string]>;
  private readonly writes: RowBuffer;

  constructor(
    db: Database.Database,
    table: string,
    private readonly columns: readonly (keyof R & string)[],
  ) {
    const key = columns[0]!;
    this.select = db.prepare(`SELECT ${columns.join(', ')} FROM ${table} WHERE ${key} = ?`);
    this.any = db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).pluck();
    this.remove = db.prepare(
      `DELETE FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?))`,
    );
    this.writes = new RowBuffer(db, table, columns, { replace: true });
  }

  /** The row of `key` as this batch left it so far; null when there is none. Change it through `put`. */
  get(key: string): R | null {
    let e = this.entries.get(key);
    if (!e) {
      this.empty ??= this.any.get() === undefined;
      const row = this.empty ? null : (this.select.get(key) ?? null);
      e = { row, stored: row !== null, dirty: false };
      this.entries.set(key, e);
    }
    return e.row;
  }

  /** Sets the whole row of `key` (read first or not). */
  put(key: string, row: R): void {
    this.set(key, row);
  }

  /** Removes the row of `key`, if any. */
  delete(key: string): void {
    this.set(key, null);
  }

  private set(key: string, row: R | null): void {
    const e = this.entries.get(key);
    if (e) {
      e.row = row;
      e.dirty = true;
    } else this.entries.set(key, { row, stored: null, dirty: true });
  }

  /** Writes every row changed since `clear`, then forgets them all. */
  flush(): void {
    const gone: string[] = [];
    // In key order: rows land side by side in the table's b-tree (into an empty table, appended).
    const keys = [...this.entries.keys()].sort();
    for (const key of keys) {
      const e = this.entries.get(key)!;
      if (!e.dirty) continue;
      if (e.row !== null) {
        this.writes.push(...this.columns.map((c) => e.row![c]));
        if (this.writes.full) this.writes.flush();
      } else if (e.stored !== false) gone.push(key);
    }
    this.writes.flush();
    if (gone.length > 0) this.remove.run(JSON.stringify(gone));
    this.entries.clear();
    this.empty = null;
  }

  /** Forgets every row read or changed and not written (a new batch, or one rolled back). */
  clear(): void {
    this.entries.clear();
    this.writes.clear();
    this.empty = null;
  }
}
