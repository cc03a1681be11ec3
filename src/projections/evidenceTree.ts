import { entryText } from '../evidence/entry.js';
import {
  type Hash,
  type HashReader,
  storedHashesForLeaf,
  storedHashIndex,
} from '../evidence/merkle.js';
import { leafHashOfText, nodeTreeHasher } from '../io/evidence/nodeEvidenceCrypto.js';
import type { StoredEvent } from '../store/eventCodec.js';
import type { RecordedEvent } from '../store/eventStore.js';
import { storedRecordOf } from '../store/storedRecord.js';
import { EvidenceTreeReader } from './evidenceTreeReader.js';
import type { Fold, Projection } from './projection.js';
import { RowBuffer } from './rowBuffer.js';
import { SpanBytes } from './spanBytes.js';

/**
 * The Merkle tree over the log (src/evidence/merkle.ts), kept like a read model: one leaf per
 * event in log order, the entry being the event as stored; every complete subtree's hash stored
 * once at its stored-hash index, so roots and proofs at any size are O(log n) reads. Folded in the
 * runner's transaction with its checkpoint, rebuilt by `rebuild` like the rest (the same log gives
 * the same tree, which is what `verify` checks against the signed checkpoints).
 */
export const evidenceTreeProjection: Projection = {
  name: 'evidence_tree',
  tables: ['evidence_hashes', 'evidence_leaves'],
  holdsNoContent: true,
  schema: (sfx) => `
    CREATE TABLE IF NOT EXISTS evidence_hashes${sfx} (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS evidence_leaves${sfx} (
      position INTEGER PRIMARY KEY,
      leaf     INTEGER NOT NULL UNIQUE
    ) WITHOUT ROWID;`,
  indexes: () => '',
  handler(db, sfx) {
    const tree = new EvidenceTreeReader(db, sfx);
    const hashRows = new RowBuffer(db, `evidence_hashes${sfx}`, ['idx', 'hash']);
    const leafRows = new RowBuffer(db, `evidence_leaves${sfx}`, ['position', 'leaf']);
    // Within a batch: the tree's size, and the right edge (the roots of its complete subtrees,
    // by stored-hash index), which is all a new leaf reads: no query per event.
    let n = 0;
    const edge = new Map<number, Hash>();
    const read: HashReader = (indexes) =>
      indexes.map((i) => {
        const h = edge.get(i);
        if (h === undefined) return tree.read([i])[0]!;
        edge.delete(i); // absorbed by the subtree this leaf completes
        return h;
      });
    // What the batch adds, kept compact until its end (a rebuild's span holds 100,000 leaves):
    // stored hashes are numbered densely in the order they are added, leaves too, from the
    // batch's first (`from`, `first`); only the hashes' bytes and the leaves' positions are kept.
    let from = { idx: 0, leaf: 0 };
    const hashes = new SpanBytes(32);
    const positions: bigint[] = [];
    const fold: Fold = Object.assign(
      (_event: StoredEvent, recorded: RecordedEvent) => {
        // Hashed already when the store read it ahead (a rebuild's worker), else here.
        const leafHash = recorded.leafHash ?? leafHashOfText(entryText(storedRecordOf(recorded)));
        const added = storedHashesForLeaf(nodeTreeHasher, n, leafHash, read);
        if (storedHashIndex(0, n) !== from.idx + hashes.length)
          throw new Error(`leaf ${n}'s hashes are not stored after the last ones`);
        for (const h of added) hashes.push(h);
        edge.set(from.idx + hashes.length - 1, added[added.length - 1]!);
        positions.push(recorded.position);
        n++;
      },
      {
        begin: () => {
          n = tree.size();
          from = { idx: storedHashIndex(0, n), leaf: n };
          edge.clear();
          hashes.clear();
          positions.length = 0;
          hashRows.clear(); // what a batch that failed at its end had not written
          leafRows.clear();
        },
        end: () => {
          for (let i = 0; i < hashes.length; i++) {
            hashRows.push(from.idx + i, hashes.at(i));
            if (hashRows.full) hashRows.flush();
          }
          hashRows.flush();
          for (let i = 0; i < positions.length; i++) {
            leafRows.push(positions[i], from.leaf + i);
            if (leafRows.full) leafRows.flush();
          }
          leafRows.flush();
          hashes.clear();
          positions.length = 0;
        },
      },
    );
    return fold;
  },
};
