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
    const fold: Fold = Object.assign(
      (_event: StoredEvent, recorded: RecordedEvent) => {
        // Hashed already when the store read it ahead (a rebuild's worker), else here.
        const leafHash = recorded.leafHash ?? leafHashOfText(entryText(storedRecordOf(recorded)));
        const hashes = storedHashesForLeaf(nodeTreeHasher, n, leafHash, read);
        let idx = storedHashIndex(0, n);
        for (const h of hashes) hashRows.push(idx++, h);
        edge.set(idx - 1, hashes[hashes.length - 1]!);
        leafRows.push(recorded.position, n);
        n++;
      },
      {
        begin: () => {
          n = tree.size();
          edge.clear();
          hashRows.clear();
          leafRows.clear();
        },
        end: () => {
          hashRows.flush();
          leafRows.flush();
        },
      },
    );
    return fold;
  },
};
