import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
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
    const [bad, good] = await Promise.allSettled([
      store.append('b', [{ id: reused, type: 'T', data: 2, metadata: {} }], 'no_stream'), // the id is taken by stream a
      store.append('c', [{ id: randomUUID(), type: 'T', data: 3, metadata: {} }], 'no_stream'),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    expect((await store.readStream('c')).map((e) => e.data)).toEqual([3]);
    expect(await store.readStream('b')).toEqual([]);
    await store.close();
    await dir.remove();
  });
});
