import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedRows } from '../../src/projections/keyedRows.js';

type Row = { k: string; v: number };

const tableWith = (rows: readonly Row[]) => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID');
  for (const r of rows) db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(r.k, r.v);
  return db;
};
const rowsOf = (db: Database.Database) => db.prepare('SELECT k, v FROM t ORDER BY k').all();

/** An operation on a key: set its value, add to it if there is a row, or delete it. */
type Op = { key: string; kind: 'put' | 'add' | 'delete'; v: number };
const anOp: fc.Arbitrary<Op> = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  kind: fc.constantFrom('put', 'add', 'delete'),
  v: fc.integer({ min: 0, max: 9 }),
});

describe('KeyedRows', () => {
  it('leaves, once flushed, the rows that the same changes made statement by statement leave', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({ k: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: 0, max: 9 }) }),
          { selector: (r) => r.k },
        ),
        fc.array(anOp, { maxLength: 20 }),
        (stored, ops) => {
          // Given a table, when the operations are folded in memory and flushed
          const db = tableWith(stored);
          const rows = new KeyedRows<Row>(db, 't', ['k', 'v']);
          rows.clear();
          for (const op of ops) {
            if (op.kind === 'put') rows.put(op.key, { k: op.key, v: op.v });
            else if (op.kind === 'delete') rows.delete(op.key);
            else {
              const row = rows.get(op.key);
              if (row) rows.put(op.key, { ...row, v: row.v + op.v });
            }
          }
          rows.flush();
          // then the table is as SQL run one statement per operation leaves it
          const ref = tableWith(stored);
          for (const op of ops) {
            if (op.kind === 'put')
              ref.prepare('INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)').run(op.key, op.v);
            else if (op.kind === 'delete') ref.prepare('DELETE FROM t WHERE k = ?').run(op.key);
            else ref.prepare('UPDATE t SET v = v + ? WHERE k = ?').run(op.v, op.key);
          }
          expect(rowsOf(db)).toEqual(rowsOf(ref));
        },
      ),
      { numRuns: 200, seed: 15 },
    );
  });

  it('reads a row again after a flush or a clear: another writer may have changed it since', () => {
    // Given a row read and changed in memory
    const db = tableWith([{ k: 'a', v: 1 }]);
    const rows = new KeyedRows<Row>(db, 't', ['k', 'v']);
    rows.put('a', { k: 'a', v: 2 });
    // when the batch is dropped and the table changes meanwhile
    rows.clear();
    db.prepare("UPDATE t SET v = 5 WHERE k = 'a'").run();
    // then the row is read as the table now holds it, and nothing dropped was written
    expect(rows.get('a')).toEqual({ k: 'a', v: 5 });
    rows.flush();
    expect(rowsOf(db)).toEqual([{ k: 'a', v: 5 }]);
  });
});
