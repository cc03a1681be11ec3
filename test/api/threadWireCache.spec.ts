import type Database from 'better-sqlite3';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { encodeLine, encodeMessage } from '../../src/api/appServer/appServer.js';
import { JsonText, jsonArrayParts } from '../../src/api/appServer/jsonText.js';
import { threadOnWire } from '../../src/api/appServer/threadWire.js';
import {
  MAX_CACHED_BYTES,
  ThreadWireCache,
  threadWireCacheOf,
} from '../../src/api/appServer/threadWireCache.js';
import type { ThreadId } from '../../src/domain/ids.js';
import {
  listThreadRevisions,
  listThreads,
  threadRows,
} from '../../src/projections/threadListQuery.js';
import { ctx, ledgerFixture } from '../support/ledgerFixture.js';
import { projectionSpec } from '../support/projectionSpec.js';
import { unwrap } from '../support/unwrap.js';

const everyKind = { sourceKinds: [], limit: 1000 };

/** Every listed thread's JSON as the cache joins it, the rows it misses read from `db`. */
const joinedPage = (db: Database.Database, cache: ThreadWireCache): Buffer[] =>
  cache.page(unwrap(listThreadRevisions(db, everyKind)).rows, (ids) => threadRows(db, ids));
/** The same page made afresh from every row, parsed. */
const freshPage = (db: Database.Database) =>
  unwrap(listThreads(db, everyKind)).rows.map(threadOnWire);
const parsed = (page: readonly Buffer[]) => page.map((j) => JSON.parse(j.toString()));

/** What a change does to a thread, as the events the thread list folds. */
const Change = fc.oneof(
  fc.record({ kind: fc.constant('rename' as const), name: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('touch' as const), ms: fc.nat(10 ** 9) }),
  fc.record({ kind: fc.constantFrom('archive' as const, 'unarchive' as const) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('list' as const), archived: fc.boolean() }),
);

describe('ThreadWireCache: each listed thread as JSON, kept by its id and rev', () => {
  it('given threads started, when any changes and lists come in any order, then every page the cache joins is the page made afresh', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat(5), Change), { maxLength: 40 }),
        (n, changes) => {
          const spec = projectionSpec();
          try {
            const ids: ThreadId[] = Array.from({ length: n }, (_, i) =>
              spec.root({ preview: `thread ${i}`, rolloutPath: i % 2 ? `/r/${i}.jsonl` : null }),
            );
            const cache = new ThreadWireCache();
            const listBoth = (archived: boolean) => {
              const params = { ...everyKind, archived };
              const revs = unwrap(listThreadRevisions(spec.db, params)).rows;
              const before = cache.kept(revs);
              const joined = cache.page(revs, (missing) => threadRows(spec.db, missing));
              // All kept: the same pieces without a read; else nothing (never a partial page).
              if (before !== null) expect(before).toEqual(joined);
              expect(cache.kept(revs)).toEqual(joined);
              const fresh = unwrap(listThreads(spec.db, params)).rows;
              expect(joined.map((j) => JSON.parse(j.toString()))).toEqual(fresh.map(threadOnWire));
            };
            for (const [i, c] of changes) {
              spec.clock.now += 1000;
              const threadId = ids[i % n]!;
              if (c.kind === 'list') listBoth(c.archived);
              else if (c.kind === 'rename')
                spec.given({
                  type: 'ThreadRenamed',
                  data: { threadId, name: c.name, indexedIn: null },
                });
              else if (c.kind === 'touch')
                spec.given({ type: 'ThreadUpdated', data: { threadId, updatedAtMs: c.ms } });
              else if (c.kind === 'delete') spec.deleteRequested(threadId);
              else
                spec.given({
                  type: c.kind === 'archive' ? 'ThreadArchived' : 'ThreadUnarchived',
                  data: { threadId, rolloutPath: `/archived/${i}.jsonl` },
                });
            }
            listBoth(false);
            listBoth(true);
          } finally {
            spec.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('given a page kept, when one thread is renamed, then only that thread is read again', () => {
    const spec = projectionSpec();
    const a = spec.root({ name: 'a', createdAtMs: spec.clock.now++ });
    const b = spec.root({ name: 'b', createdAtMs: spec.clock.now++ });
    const cache = new ThreadWireCache();
    const read: string[][] = [];
    const page = () =>
      cache.page(unwrap(listThreadRevisions(spec.db, everyKind)).rows, (ids) => {
        read.push(ids);
        return threadRows(spec.db, ids);
      });
    page();
    page();
    spec.given({ type: 'ThreadRenamed', data: { threadId: a, name: 'A', indexedIn: null } });
    const names = page().map((j) => JSON.parse(j.toString()).name);
    expect(read).toEqual([[b, a], [a]]); // newest first; the second page read nothing
    expect(names).toEqual(['b', 'A']);
    spec.close();
  });

  it('keeps a bounded amount: past its limit it starts again, and still answers right', () => {
    const spec = projectionSpec();
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 80; i++) spec.root({ preview: big, createdAtMs: spec.clock.now++ });
    const cache = new ThreadWireCache();
    const joined = joinedPage(spec.db, cache);
    expect(cache.size).toBeLessThan(80);
    expect(parsed(joined)).toEqual(freshPage(spec.db));
    spec.close();
  });

  it('given a cache near its limit, when a page keeps some threads and makes one that overflows it, then the page is still answered whole', () => {
    const spec = projectionSpec();
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 63; i++) spec.root({ preview: big, createdAtMs: spec.clock.now++ });
    const cache = new ThreadWireCache();
    joinedPage(spec.db, cache);
    expect(cache.keptBytes).toBeGreaterThan(MAX_CACHED_BYTES - 300 * 1024);
    spec.root({ preview: big, createdAtMs: spec.clock.now++ }); // one more: it overflows
    expect(parsed(joinedPage(spec.db, cache))).toEqual(freshPage(spec.db));
    spec.close();
  });

  it('refuses a page whose changed thread has no row, or another rev, where the page was read: never the JSON of an older rev', () => {
    const spec = projectionSpec();
    const a = spec.root({ name: 'old name', createdAtMs: spec.clock.now++ });
    spec.root({ name: 'b', createdAtMs: spec.clock.now++ });
    const cache = new ThreadWireCache();
    joinedPage(spec.db, cache);
    spec.given({ type: 'ThreadRenamed', data: { threadId: a, name: 'new name', indexedIn: null } });
    const revs = unwrap(listThreadRevisions(spec.db, everyKind)).rows;
    const without = (ids: string[]) => threadRows(spec.db, ids).filter((r) => r.thread_id !== a);
    expect(() => cache.page(revs, without)).toThrow(
      /listed at rev 1 but its row was not read at it/,
    );
    const older = (ids: string[]) => threadRows(spec.db, ids).map((r) => ({ ...r, rev: 0 }));
    expect(() => cache.page(revs, older)).toThrow(/listed at rev 1/);
    spec.close();
  });
});

describe('threadWireCacheOf: the one cache of a ledger', () => {
  it('is shared by every app-server on the ledger, and forgets a thread once its deletion is applied', async () => {
    const f = await ledgerFixture();
    try {
      const [a, b] = [await f.root('a'), await f.root('b')];
      await f.ledger.runner.catchUp();
      const cache = threadWireCacheOf(f.ledger);
      expect(threadWireCacheOf(f.ledger)).toBe(cache);
      const db = f.ledger.readDb;
      joinedPage(db, cache);
      expect(cache.size).toBe(2);
      expect(E.isRight(await f.ledger.lifecycle.delete(a, null, ctx))).toBe(true);
      await f.ledger.runner.catchUp();
      expect(cache.size).toBe(1);
      expect(parsed(joinedPage(db, cache)).map((t) => t.id)).toEqual([b]);
    } finally {
      await f.close();
    }
  });
});

describe('listThreadRevisions', () => {
  it('pages as listThreads does: the same threads, order and cursors', () => {
    const spec = projectionSpec();
    for (let i = 0; i < 7; i++) spec.root({ createdAtMs: spec.clock.now++ });
    for (const sortKey of ['created_at', 'updated_at'])
      for (const sortDirection of ['asc', 'desc']) {
        let cursor: string | null = null;
        do {
          const params: Record<string, unknown> = {
            ...everyKind,
            limit: 3,
            sortKey,
            sortDirection,
            cursor,
          };
          const full = unwrap(listThreads(spec.db, params));
          const revs = unwrap(listThreadRevisions(spec.db, params));
          expect(revs.rows.map((r) => [r.thread_id, r.rev])).toEqual(
            full.rows.map((r) => [r.thread_id, r.rev]),
          );
          expect([revs.nextCursor, revs.backwardsCursor]).toEqual([
            full.nextCursor,
            full.backwardsCursor,
          ]);
          cursor = full.nextCursor;
        } while (cursor !== null);
      }
    expect(E.isLeft(listThreadRevisions(spec.db, { limit: 0 }))).toBe(true);
    spec.close();
  });
});

describe('a result already written as JSON', () => {
  const parts = jsonArrayParts(
    [Buffer.from('{"é":1}'), Buffer.from('"\u{1F600}"')],
    '{"data":[',
    ']}',
  );
  const result = new JsonText(parts);

  it('is written in place, unparsed, with the id encoded: as text (encodeMessage) and as a line of bytes (encodeLine)', () => {
    const text = '{"id":"a\\"b","result":{"data":[{"é":1},"\u{1F600}"]}}';
    expect(encodeMessage({ id: 'a"b', result })).toBe(text);
    expect(encodeLine({ id: 'a"b', result })).toEqual(Buffer.from(`${text}\n`));
    expect(JSON.parse(text)).toEqual({ id: 'a"b', result: { data: [{ é: 1 }, '\u{1F600}'] } });
    // An id of more bytes than characters: the line is sized in bytes.
    expect(encodeLine({ id: 'é\u{1F600}', result }).toString()).toBe(
      `${encodeMessage({ id: 'é\u{1F600}', result })}\n`,
    );
  });

  it('leaves any other message to JSON.stringify, one line', () => {
    expect(encodeLine({ id: 1, result: { a: '\n' } })).toBe('{"id":1,"result":{"a":"\\n"}}\n');
  });
});
