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

  it("is full once a multi-row statement's worth of rows waits, and empty again once flushed", () => {
    // Given rows pushed one by one, a caller that writes whenever the buffer is full
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)');
    const rows = new RowBuffer(db, 't', ['a']);
    let fullAt = -1;
    for (let i = 0; i < 200 && fullAt < 0; i++) {
      rows.push(i);
      if (rows.full) fullAt = i + 1;
    }
    // then it was full at 128 rows, none of them written before the flush
    expect(fullAt).toBe(128);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    rows.flush();
    expect(rows.full).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(128);
  });

  it('refuses a row of the wrong width, naming both', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    expect(() => new RowBuffer(db, 't', ['a', 'b']).push(1)).toThrow('a row of 1 values, not 2');
  });
});
