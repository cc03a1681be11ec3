import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryText } from '../../src/evidence/entry.js';
import { leafHashOfText } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/store/eventStore.js';
import { storedRecordOf } from '../../src/store/storedRecord.js';
import { unwrap } from '../support/unwrap.js';

/** Builds a fresh, empty store for each test; `cleanup` runs after it is closed. */
export type StoreFactory = () => Promise<{ store: EventStore; cleanup?: () => Promise<void> }>;

const ev = (type = 'Happened', data: unknown = { n: 1 }): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: { actor: 'test' },
});

const take = async (sub: AsyncIterable<RecordedEvent>, n: number): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  if (n === 0) return out;
  for await (const e of sub) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
};

/** The behaviour every EventStore adapter must have. Run it against each adapter unchanged. */
export const eventStoreContract = (name: string, factory: StoreFactory): void => {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;
    const s = () => `thread-${randomUUID()}`;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    describe('append with an expected revision', () => {
      it('starts a new stream at revision 0 with no_stream, and counts up', async () => {
        const id = s();
        expect(unwrap(await store.append(id, [ev()], 'no_stream')).nextExpectedRevision).toBe(0n);
        expect(unwrap(await store.append(id, [ev(), ev()], 0n)).nextExpectedRevision).toBe(2n);
        expect((await store.readStream(id)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      });

      it('refuses no_stream on an existing stream, reporting the actual revision', async () => {
        const id = s();
        await store.append(id, [ev()], 'no_stream');
        const r = await store.append(id, [ev()], 'no_stream');
        expect(r).toEqual(
          E.left({ kind: 'WrongExpectedVersion', streamId: id, expected: 'no_stream', actual: 0n }),
        );
      });

      it('refuses stream_exists on a missing stream', async () => {
        const id = s();
        const r = await store.append(id, [ev()], 'stream_exists');
        expect(r).toEqual(
          E.left({
            kind: 'WrongExpectedVersion',
            streamId: id,
            expected: 'stream_exists',
            actual: 'no_stream',
          }),
        );
        expect(await store.readStream(id)).toEqual([]);
      });

      it('accepts stream_exists on an existing stream', async () => {
        const id = s();
        await store.append(id, [ev()], 'no_stream');
        expect(unwrap(await store.append(id, [ev()], 'stream_exists')).nextExpectedRevision).toBe(
          1n,
        );
      });

      it('refuses a stale exact revision and writes nothing', async () => {
        const id = s();
        await store.append(id, [ev(), ev()], 'no_stream');
        const r = await store.append(id, [ev(), ev()], 0n);
        expect(r).toEqual(
          E.left({ kind: 'WrongExpectedVersion', streamId: id, expected: 0n, actual: 1n }),
        );
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('accepts any, on a missing or an existing stream', async () => {
        const id = s();
        unwrap(await store.append(id, [ev()], 'any'));
        expect(unwrap(await store.append(id, [ev()], 'any')).nextExpectedRevision).toBe(1n);
      });

      it('is idempotent when the same events (same ids) are appended again', async () => {
        const id = s();
        const batch = [ev(), ev()];
        const first = unwrap(await store.append(id, batch, 'no_stream'));
        const again = unwrap(await store.append(id, batch, 'no_stream'));
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(await store.readStream(id)).toHaveLength(2);
      });
    });

    describe('reads', () => {
      it('reads nothing from a stream that does not exist', async () => {
        expect(await store.readStream(s())).toEqual([]);
      });

      it('round-trips type, data, metadata and ids', async () => {
        const id = s();
        const e = {
          id: randomUUID(),
          type: 'Named',
          data: { name: 'ü ✓', nested: { a: [1, null] } },
          metadata: { actor: 'alice', requestId: 'r-1' },
        };
        const { position } = unwrap(await store.append(id, [e], 'no_stream'));
        const [{ json, ...got }] = (await store.readStream(id)) as [RecordedEvent];
        expect(got).toEqual({ ...e, streamId: id, revision: 0n, position });
        // The stored text, where an adapter gives it, is that of the value as appended.
        expect(
          json ?? { data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) },
        ).toEqual({ data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) });
      });

      it('reads a stream from a revision, at most maxCount events', async () => {
        const id = s();
        await store.append(
          id,
          [0, 1, 2, 3, 4].map((n) => ev('N', { n })),
          'no_stream',
        );
        const got = await store.readStream(id, { fromRevision: 2n, maxCount: 2 });
        expect(got.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
      });

      it('reads the whole log after a position, in commit order, in pages', async () => {
        const a = s();
        const b = s();
        await store.append(a, [ev('A', 1)], 'no_stream');
        await store.append(b, [ev('B', 1), ev('B', 2)], 'no_stream');
        await store.append(a, [ev('A', 2)], 0n);
        const all = await store.readAll({ after: null, maxCount: 100 });
        expect(all.map((e) => [e.streamId, e.data])).toEqual([
          [a, 1],
          [b, 1],
          [b, 2],
          [a, 2],
        ]);
        const page = await store.readAll({ after: all[1]!.position, maxCount: 1 });
        expect(page.map((e) => e.data)).toEqual([2]);
        expect(page[0]!.streamId).toBe(b);
        expect(await store.headPosition()).toBe(all[3]!.position);
      });

      it('reads the log as stored: the same events, data and metadata as the JSON text the evidence tree hashes', async () => {
        const a = s();
        await store.append(
          a,
          [
            {
              id: randomUUID(),
              type: 'A',
              data: { z: 1, a: 'é\u2028"', n: [1.5, null] },
              metadata: { m: 1 },
            },
            ev('A', 2),
          ],
          'no_stream',
        );
        const all = await store.readAll({ after: null, maxCount: 100 });
        const stored = await store.readStored({ after: null, maxCount: 100 });
        expect(stored).toEqual(all.map(storedRecordOf));
        expect(stored[0]!.dataJson).toBe('{"z":1,"a":"é\u2028\\"","n":[1.5,null]}');
        const page = await store.readStored({ after: all[0]!.position, maxCount: 5 });
        expect(page.map((r) => r.position)).toEqual([all[1]!.position]);
      });

      it('gives each event’s evidence entry exactly as entryText makes it from the stored event, for hostile text too', async () => {
        const hostile = fc.sample(
          fc
            .string({ unit: 'binary', maxLength: 40 })
            .filter(
              (x) =>
                !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(x),
            ),
          { numRuns: 60, seed: 13 },
        );
        hostile.push('"\\\u0000\u001f\u007f\b\f\n\r\t', 'é ✓ 😀 \u2028\u2029', '</script>');
        const a = s();
        await store.append(
          a,
          hostile.map((text, i) => ({
            id: randomUUID(),
            type: i % 2 ? text || 'T' : 'T',
            data: { text, [text]: [text] },
            metadata: { actor: text },
          })),
          'no_stream',
        );
        const stored = await store.readStored({ after: null, maxCount: 1000 });
        const entries = await store.readEntries({ after: null, maxCount: 1000 });
        expect(entries).toEqual(stored.map((r) => ({ position: r.position, entry: entryText(r) })));
        const page = await store.readEntries({ after: stored[9]!.position, maxCount: 3 });
        expect(page.map((e) => e.position)).toEqual(stored.slice(10, 13).map((r) => r.position));
        // What `verify` reads: the same entries, page by page, from where it is asked to start.
        const paged = async (after: bigint | null) => {
          const all = [];
          for await (const p of store.entryPages(after)) all.push(...p);
          return all;
        };
        expect(await paged(null)).toEqual(entries);
        expect(await paged(stored[9]!.position)).toEqual(entries.slice(10));
      });

      it('gives the log page by page as readAll gives it, for a rebuild: each leaf hash it gives is that of the event’s entry', async () => {
        const texts = ['"\\\u0000\u001f\u007f\b\f\n\r\t', 'é ✓ 😀 \u2028\u2029', '</script>', ''];
        const a = s();
        await store.append(
          a,
          Array.from({ length: 12 }, (_, i) => ({
            id: randomUUID(),
            type: i % 2 ? texts[i % 4]! || 'T' : 'T',
            data: { text: texts[i % 4], [texts[i % 4]!]: [i, 1.5, null, { n: -0.25e-7 }] },
            metadata: { actor: texts[i % 4] },
          })),
          'no_stream',
        );
        const all = await store.readAll({ after: null, maxCount: 1000 });
        const paged = async (after: bigint | null) => {
          const out: RecordedEvent[] = [];
          for await (const p of store.recordPages(after)) out.push(...p);
          return out;
        };
        const asRead = ({ json: _j, leafHash: _l, ...e }: RecordedEvent) => e;
        const got = await paged(null);
        expect(got.map(asRead)).toEqual(all.map(asRead));
        for (const r of got)
          if (r.leafHash)
            expect(Buffer.from(r.leafHash)).toEqual(leafHashOfText(entryText(storedRecordOf(r))));
        expect((await paged(all[4]!.position)).map(asRead)).toEqual(all.slice(5).map(asRead));
      });

      it('has no head on an empty log', async () => {
        expect(await store.headPosition()).toBeNull();
        expect(await store.readAll({ after: null, maxCount: 10 })).toEqual([]);
        expect(await store.readStored({ after: null, maxCount: 10 })).toEqual([]);
        expect(await store.readEntries({ after: null, maxCount: 10 })).toEqual([]);
        for await (const page of store.entryPages(null))
          expect.fail(`an empty log gave a page of ${page.length} entries`);
        for await (const page of store.recordPages(null))
          expect.fail(`an empty log gave a page of ${page.length} events`);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of several racing appends at one revision win', async () => {
        const id = s();
        await store.append(id, [ev()], 'no_stream');
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.append(id, [ev()], 0n)),
        );
        expect(results.filter(E.isRight)).toHaveLength(1);
        expect(results.filter(E.isLeft)).toHaveLength(9);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('keeps a global order with every committed event, once, and no conflicting one', async () => {
        const streams = Array.from({ length: 20 }, s);
        const attempts = streams.flatMap((id) =>
          [0, 1, 2].map((k) => store.append(id, [ev('X', { id, k }), ev('Y', { id, k })], 'any')),
        );
        const conflicting = streams.map((id) => store.append(id, [ev('Z', { id })], 'no_stream'));
        const results = await Promise.all([...attempts, ...conflicting]);
        const ok = results.filter(E.isRight).length;
        const all: RecordedEvent[] = [];
        let after: bigint | null = null;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 7 });
          if (page.length === 0) break;
          all.push(...page);
          after = page[page.length - 1]!.position;
        }
        const appended = all.filter((e) => streams.includes(e.streamId));
        // Every event of every successful append, nothing of the refused ones.
        expect(appended.length).toBe(attempts.length * 2 + (ok - attempts.length));
        expect(new Set(appended.map((e) => e.id)).size).toBe(appended.length);
        for (let i = 1; i < all.length; i++)
          expect(all[i]!.position > all[i - 1]!.position).toBe(true);
        for (const id of streams) {
          const revs = appended.filter((e) => e.streamId === id).map((e) => e.revision);
          expect(revs).toEqual(revs.map((_, i) => BigInt(i)));
          // the two events of one append are adjacent in the stream
          const ks = appended
            .filter((e) => e.streamId === id && e.type !== 'Z')
            .map((e) => (e.data as { k: number }).k);
          for (let i = 0; i < ks.length; i += 2) expect(ks[i]).toBe(ks[i + 1]);
        }
      });
    });

    describe('catch-up subscription to the whole log', () => {
      it('delivers the past, then what is appended later, in order', async () => {
        const id = s();
        await store.append(id, [ev('N', 1), ev('N', 2)], 'no_stream');
        const sub = store.subscribeToAll({ after: null });
        const got = take(sub, 4);
        await store.append(id, [ev('N', 3)], 1n);
        await store.append(id, [ev('N', 4)], 2n);
        const events = (await got).filter((e) => e.streamId === id);
        expect(events.map((e) => e.data)).toEqual([1, 2, 3, 4]);
        await sub.stop();
      });

      it('resumes after a checkpoint without repeating or skipping', async () => {
        const id = s();
        await store.append(
          id,
          [1, 2, 3].map((n) => ev('N', n)),
          'no_stream',
        );
        const first = await store.readAll({ after: null, maxCount: 100 });
        const checkpoint = first.find((e) => e.streamId === id && e.data === 2)!.position;
        const sub = store.subscribeToAll({ after: checkpoint });
        const got = take(sub, 2);
        await store.append(id, [ev('N', 4)], 2n);
        expect((await got).map((e) => e.data)).toEqual([3, 4]);
        await sub.stop();
      });

      it('stops cleanly while waiting for events', async () => {
        const sub = store.subscribeToAll({ after: await store.headPosition() });
        const pending = take(sub, 1);
        await sub.stop();
        expect(await pending).toEqual([]);
      });
    });
  });
};
