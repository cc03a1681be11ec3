import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { tempDir } from '../support/tempDir.js';
import { eventStoreContract } from './eventStoreContract.js';

eventStoreContract('SQLite', async () => {
  const dir = await tempDir();
  return { store: new SqliteEventStore(`${dir.path}/events.db`, { pollMs: 10 }), cleanup: dir.remove };
});

describe('SQLite event store, durability', () => {
  it('keeps every committed event across a close and reopen', async () => {
    const dir = await tempDir();
    const file = `${dir.path}/events.db`;
    const a = new SqliteEventStore(file);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        a.append(`thread-${i}`, [{ id: randomUUID(), type: 'T', data: { i }, metadata: {} }], 'no_stream'),
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
