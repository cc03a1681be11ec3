import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryText } from '../../src/evidence/entry.js';
import { CompactTree, storedHashIndex } from '../../src/evidence/merkle.js';
import { leafHashOfText, nodeTreeHasher } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import { BatchTransaction } from '../../src/projections/batchTransaction.js';
import { Checkpoints } from '../../src/projections/checkpoints.js';
import { evidenceTreeProjection } from '../../src/projections/evidenceTree.js';
import { EvidenceTreeReader } from '../../src/projections/evidenceTreeReader.js';
import type { Projection } from '../../src/projections/projection.js';
import type { StoredEvent } from '../../src/store/eventCodec.js';
import type { RecordedEvent } from '../../src/store/eventStore.js';
import { storedRecordOf } from '../../src/store/storedRecord.js';

const recorded = (position: number, text: string): RecordedEvent => ({
  id: `e${position}`,
  streamId: `s${position % 3}`,
  type: 'T',
  revision: BigInt(position),
  position: BigInt(position),
  data: { text },
  metadata: {},
});

/** A projection that fails its batch at the events it is told to: the transaction rolls back. */
const failingAt = (positions: ReadonlySet<number>): Projection => ({
  name: 'failing',
  tables: [],
  schema: () => '',
  indexes: () => '',
  handler: () => (_e, r) => {
    if (positions.has(Number(r.position))) throw new Error(`fails at ${r.position}`);
  },
});

describe('the evidence tree fold, batch by batch', () => {
  it('stores the same tree however the log is cut into batches, and whichever batches roll back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 70 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 70 }), { maxLength: 5 }),
        (texts, cuts, failures) => {
          const db = new Database(':memory:');
          db.exec(
            'CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER) WITHOUT ROWID',
          );
          db.exec(evidenceTreeProjection.schema(''));
          const pending = new Set(failures);
          const armed = new Set<number>();
          const batch = new BatchTransaction(db, new Checkpoints(db), [
            evidenceTreeProjection,
            failingAt(armed),
          ]);
          const log = texts.map((t, i) => recorded(i + 1, t));
          // Given the log cut into batches, each failing once where told and then applied again,
          for (let at = 0, k = 0; at < log.length; k++) {
            const events = log.slice(at, at + cuts[k % cuts.length]!);
            const fails = events.find((e) => pending.has(Number(e.position)));
            const apply = () => batch.apply(events as unknown as StoredEvent[], events);
            if (fails) {
              pending.delete(Number(fails.position));
              armed.add(Number(fails.position));
              expect(apply).toThrow(/fails at/);
              armed.clear();
            } else {
              apply();
              at += events.length;
            }
          }
          // then every stored hash and the root are those of the whole log hashed at once.
          const tree = new EvidenceTreeReader(db);
          const compact = new CompactTree(nodeTreeHasher);
          log.forEach((r, leaf) => {
            const h = leafHashOfText(entryText(storedRecordOf(r)));
            compact.append(h);
            expect(Buffer.from(tree.leafHash(leaf)!)).toEqual(h);
            expect(tree.leafOf(r.position)).toBe(leaf);
            expect(Buffer.from(tree.root(leaf + 1))).toEqual(Buffer.from(compact.root()!));
          });
          const stored = db.prepare('SELECT count(*) FROM evidence_hashes').pluck().get();
          expect(stored).toBe(storedHashIndex(0, log.length));
          db.close();
        },
      ),
      { numRuns: 60, seed: 15 },
    );
  });

  it('finds the leaves of positions past 2^53 (KurrentDB) exactly, each its own', () => {
    const db = new Database(':memory:');
    db.exec(evidenceTreeProjection.schema(''));
    const big = 2n ** 53n;
    const put = db.prepare('INSERT INTO evidence_leaves (position, leaf) VALUES (?, ?)');
    put.run(big + 1n, 0);
    put.run(big + 2n, 1);
    const tree = new EvidenceTreeReader(db);
    expect(tree.leavesOf([big + 2n, big + 1n, big + 3n, 5n])).toEqual([1, 0, null, null]);
    db.close();
  });
});
