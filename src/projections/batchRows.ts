import type Database from 'better-sqlite3';
import { RowBuffer } from './rowBuffer.js';

/**
 * A table's rows as a batch leaves them, keyed by one column: each read from the table at most
 * once a batch, changed in memory, and written once at the batch's end (multi-row INSERT OR
 * REPLACE, a DELETE for a row removed), so a row that many events of a batch change costs one
 * write: the last one wins. A fold step calls `begin` and `end` (see `Fold`): `begin` forgets
 * everything, so the next batch reads the table again and a batch rolled back or another
 * writer's batch leaves nothing stale. Every column is written: a row holds them all.
 */
export class BatchRows<R extends Record<string, unknown>> {
  /** The rows known this batch; null: known absent. */
  private readonly rows = new Map<string, R | null>();
  private readonly changed = new Set<string>();
  private readonly select: Database.Statement<[string], R>;
  private readonly remove: Database.Statement<[string]>;
  private readonly written: RowBuffer;

  constructor(
    db: Database.Database,
    table: string,
    private readonly key: keyof R & string,
    private readonly columns: readonly (keyof R & string)[],
  ) {
    this.select = db.prepare(`SELECT ${columns.join(', ')} FROM ${table} WHERE ${key} = ?`);
    this.remove = db.prepare(`DELETE FROM ${table} WHERE ${key} = ?`);
    this.written = new RowBuffer(db, table, columns, 'INSERT OR REPLACE');
  }

  /** The row as this batch has left it so far (read from the table the first time). */
  get(key: string): R | undefined {
    let row = this.rows.get(key);
    if (row === undefined) {
      row = this.select.get(key) ?? null;
      this.rows.set(key, row);
    }
    return row ?? undefined;
  }

  /** The row's new value, whole (its key column included). */
  set(row: R): void {
    const key = row[this.key] as string;
    this.rows.set(key, row);
    this.changed.add(key);
  }

  delete(key: string): void {
    this.rows.set(key, null);
    this.changed.add(key);
  }

  begin(): void {
    this.rows.clear();
    this.changed.clear();
    this.written.clear();
  }

  end(): void {
    for (const key of this.changed) {
      const row = this.rows.get(key);
      if (row) this.written.pushRow(this.columns.map((c) => row[c]));
      else this.remove.run(key);
    }
    this.written.flush();
    this.rows.clear();
    this.changed.clear();
  }
}
