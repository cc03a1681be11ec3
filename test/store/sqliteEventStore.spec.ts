import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { entryText } from '../../src/evidence/entry.js';
import { leafHashOfText } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import type { RecordedEvent } from '../../src/store/eventStore.js';
import { readEntryPagesAhead } from '../../src/store/sqlite/entryPagesAhead.js';
import { readRecordPagesAhead } from '../../src/store/sqlite/recordPagesAhead.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { storedRecordOf } from '../../src/store/storedRecord.js';
import { tempDir } from '../support/tempDir.js';
import { eventStoreContract } from './eventStoreContract.js';

eventStoreContract('SQLite', async () => {
  const dir = await tempDir();
  return {
    store: new SqliteEventStore(`${dir.path}/events.db`, { pollMs: 10 }),
    cleanup: dir.remove,
  };
});

describe('SQLite event store, durability', () => {
  it('keeps every committed event across a close and reopen', async () => {
    const dir = await tempDir();
    const file = `${dir.path}/events.db`;
    const a = new SqliteEventStore(file);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        a.append(
          `thread-${i}`,
          [{ id: randomUUID(), type: 'T', data: { i }, metadata: {} }],
          'no_stream',
        ),
      ),
    );
    expect(results.every(E.isRight)).toBe(true);
    await a.close();
    const b = new SqliteEventStore(file);
    const all = await b.readAll({ after: null, maxCount: 1000 });
    expect(all.map((e) => e.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
    await b.close();
    await dir.remove();
  });
});

describe('SQLite event store, group commit', () => {
  it('rejects a failing append alone: the others of its group still commit', async () => {
    const dir = await tempDir();
    const store = new SqliteEventStore(`${dir.path}/events.db`);
    const reused = randomUUID();
    await store.append('a', [{ id: reused, type: 'T', data: 1, metadata: {} }], 'no_stream');
    // The failing one between two others: what the first wrote is neither lost nor written twice.
    const [before, bad, good] = await Promise.allSettled([
      store.append('d', [{ id: randomUUID(), type: 'T', data: 4, metadata: {} }], 'no_stream'),
      store.append('b', [{ id: reused, type: 'T', data: 2, metadata: {} }], 'no_stream'), // the id is taken by stream a
      store.append('c', [{ id: randomUUID(), type: 'T', data: 3, metadata: {} }], 'no_stream'),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    expect(before.status).toBe('fulfilled');
    expect((await store.readStream('c')).map((e) => e.data)).toEqual([3]);
    expect((await store.readStream('d')).map((e) => e.data)).toEqual([4]);
    expect((await store.readAll({ after: null, maxCount: 10 })).map((e) => e.data)).toEqual([
      1, 4, 3,
    ]);
    expect(await store.readStream('b')).toEqual([]);
    await store.close();
    await dir.remove();
  });
});

describe('SQLite event store, its log version (what a caught-up reader checks instead of reading)', () => {
  const one = () => [{ id: randomUUID(), type: 'T', data: 1, metadata: {} }];

  it('changes with a commit of its own or of another connection to the file, and with nothing else', async () => {
    const dir = await tempDir();
    const file = `${dir.path}/events.db`;
    const mine = new SqliteEventStore(file);
    const other = new SqliteEventStore(file);
    const seen = [mine.logVersion()];
    await mine.readAll({ after: null, maxCount: 10 });
    expect(mine.logVersion()).toBe(seen[0]);
    await mine.append('a', one(), 'no_stream');
    seen.push(mine.logVersion());
    await other.append('b', one(), 'no_stream');
    seen.push(mine.logVersion());
    expect(new Set(seen).size).toBe(3);
    expect(mine.logVersion()).toBe(seen[2]);
    await Promise.all([mine.close(), other.close()]);
    await dir.remove();
  });
});

describe('SQLite event store, entries read ahead by a worker (what verify reads)', () => {
  const withLog = async (events: { type: string; data: unknown }[]) => {
    const dir = await tempDir();
    const file = `${dir.path}/events.db`;
    const store = new SqliteEventStore(file);
    await store.append(
      's',
      events.map((e) => ({ id: randomUUID(), metadata: {}, ...e })),
      'no_stream',
    );
    const entries = await store.readEntries({ after: null, maxCount: 10_000 });
    const done = async () => {
      await store.close();
      await dir.remove();
    };
    return { file, entries, done };
  };
  const pagesOf = async (it: AsyncIterable<readonly unknown[]>) => {
    const pages = [];
    for await (const p of it) pages.push(p);
    return pages;
  };

  it('gives every entry once, in order, in pages of at most the count asked', async () => {
    const log = await withLog(Array.from({ length: 23 }, (_, i) => ({ type: 'T', data: { i } })));
    const pages = await pagesOf(readEntryPagesAhead(log.file, null, 5));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(log.entries);
    const rest = await pagesOf(readEntryPagesAhead(log.file, log.entries[19]!.position, 5));
    expect(rest.flat()).toEqual(log.entries.slice(20));
    await log.done();
  });

  it('keeps a page of large events to its byte budget, one event at the least', async () => {
    const big = 'x'.repeat(10_000);
    const log = await withLog([
      { type: 'T', data: { big } },
      { type: 'T', data: { big, more: big } },
      { type: 'T', data: 1 },
      { type: 'T', data: 2 },
    ]);
    // 15,000 bytes: the first event fits alone, the second (20,000 bytes) is a page by itself.
    const pages = await pagesOf(readEntryPagesAhead(log.file, null, 100, 15_000));
    expect(pages.map((p) => p.length)).toEqual([1, 1, 2]);
    expect(pages.flat()).toEqual(log.entries);
    await log.done();
  });

  it('fails with the reason when the log cannot be read, and stops its worker', async () => {
    const dir = await tempDir();
    const pages = readEntryPagesAhead(`${dir.path}/missing.db`, null, 5);
    await expect(pagesOf(pages)).rejects.toThrow(/reading the log: .*unable to open database/i);
    await dir.remove();
  });
});

describe('SQLite event store, events read ahead and hashed by a worker (what a rebuild folds)', () => {
  const withLog = async (events: { type: string; data: unknown }[]) => {
    const dir = await tempDir();
    const file = `${dir.path}/events.db`;
    const store = new SqliteEventStore(file);
    await store.append(
      's',
      events.map((e) => ({ id: randomUUID(), metadata: { m: e.type }, ...e })),
      'no_stream',
    );
    const all = await store.readAll({ after: null, maxCount: 10_000 });
    const done = async () => {
      await store.close();
      await dir.remove();
    };
    return { file, all, done };
  };
  const pagesOf = async (it: AsyncIterable<readonly RecordedEvent[]>) => {
    const pages: (readonly RecordedEvent[])[] = [];
    for await (const p of it) pages.push(p);
    return pages;
  };
  const asRead = ({ json: _j, leafHash: _l, ...e }: RecordedEvent) => e;

  it('gives every event once, in order, as readAll does, with the leaf hash of its entry', async () => {
    const log = await withLog(
      Array.from({ length: 23 }, (_, i) => ({ type: 'T', data: { i, s: 'é"\n\u2028' } })),
    );
    const pages = await pagesOf(readRecordPagesAhead(log.file, null, 5));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().map(asRead)).toEqual(log.all.map(asRead));
    expect(pages.flat().map((r) => Buffer.from(r.leafHash!))).toEqual(
      log.all.map((r) => leafHashOfText(entryText(storedRecordOf(r)))),
    );
    const rest = await pagesOf(readRecordPagesAhead(log.file, log.all[19]!.position, 5));
    expect(rest.flat().map(asRead)).toEqual(log.all.slice(20).map(asRead));
    await log.done();
  });

  it('keeps a page of large events to its byte budget, one event at the least', async () => {
    const big = 'x'.repeat(10_000);
    const log = await withLog([
      { type: 'T', data: { big } },
      { type: 'T', data: { big, more: big } },
      { type: 'T', data: 1 },
      { type: 'T', data: 2 },
    ]);
    const pages = await pagesOf(readRecordPagesAhead(log.file, null, 100, 15_000));
    expect(pages.map((p) => p.length)).toEqual([1, 1, 2]);
    expect(pages.flat().map(asRead)).toEqual(log.all.map(asRead));
    await log.done();
  });

  it('refuses a page holding data that is not JSON, as a row-by-row parse would, and stops its worker', async () => {
    const log = await withLog([{ type: 'T', data: 1 }]);
    // Text that is no JSON value alone, but would splice into the page's array as two values.
    const db = new Database(log.file);
    db.prepare(
      `INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES ('s', 1, 'x', 'T', '1,2', '{}')`,
    ).run();
    db.close();
    await expect(pagesOf(readRecordPagesAhead(log.file, null, 5))).rejects.toThrow(/not JSON/);
    await log.done();
  });
});
