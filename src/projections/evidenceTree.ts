import { entryText } from '../evidence/entry.js';
import { storedHashesForLeaf, storedHashIndex } from '../evidence/merkle.js';
import { leafHashOfText, nodeTreeHasher } from '../io/evidence/nodeEvidenceCrypto.js';
import { storedRecordOf } from '../store/storedRecord.js';
import { EvidenceTreeReader } from './evidenceTreeReader.js';
import type { Projection } from './projection.js';

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
  schema: (sfx) => `
    CREATE TABLE IF NOT EXISTS evidence_hashes${sfx} (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS evidence_leaves${sfx} (
      position INTEGER PRIMARY KEY,
      leaf     INTEGER NOT NULL UNIQUE
    ) WITHOUT ROWID;`,
  indexes: () => '',
  handler(db, sfx) {
    const tree = new EvidenceTreeReader(db, sfx);
    const putHash = db.prepare(`INSERT INTO evidence_hashes${sfx} (idx, hash) VALUES (?, ?)`);
    const putLeaf = db.prepare(`INSERT INTO evidence_leaves${sfx} (position, leaf) VALUES (?, ?)`);
    return (_event, recorded) => {
      const n = tree.size();
      const leafHash = leafHashOfText(entryText(storedRecordOf(recorded)));
      const hashes = storedHashesForLeaf(nodeTreeHasher, n, leafHash, tree.read);
      let idx = storedHashIndex(0, n);
      for (const h of hashes) putHash.run(idx++, h);
      putLeaf.run(recorded.position, n);
    };
  },
};
