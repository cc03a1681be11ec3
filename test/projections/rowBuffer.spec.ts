import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowBuffer } from '../../src/projections/rowBuffer.js';

describe('RowBuffer', () => {
  it('writes every row pushed, in order, once flushed, however many (across multi-row chunks)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 700 }), (n) => {
        const db = new Database(':memory:');
        db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
        const rows = new RowBuffer(db, 't', ['a', 'b']);
        for (let i = 0; i < n; i++) rows.push(i, `row ${i}`);
        rows.flush();
        const got = db.prepare('SELECT a, b FROM t ORDER BY a').raw(true).all();
        expect(got).toEqual(Array.from({ length: n }, (_, i) => [i, `row ${i}`]));
        db.close();
      }),
      { numRuns: 25, seed: 15 },
    );
  });

  it('drops what was pushed and not written when cleared (a batch rolled back)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    const rows = new RowBuffer(db, 't', ['a', 'b']);
    rows.push(1, 'kept');
    rows.flush();
    rows.push(2, 'dropped');
    rows.clear();
    rows.flush();
    expect(db.prepare('SELECT a FROM t').pluck().all()).toEqual([1]);
  });

  it('refuses a row of the wrong width, naming both', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    expect(() => new RowBuffer(db, 't', ['a', 'b']).push(1)).toThrow('a row of 1 values, not 2');
  });
});
