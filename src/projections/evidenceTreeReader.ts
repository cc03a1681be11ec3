import type Database from 'better-sqlite3';
import {
  type Hash,
  type HashReader,
  ProofError,
  proveConsistency,
  proveInclusion,
  storedHashIndex,
  treeHash,
} from '../evidence/merkle.js';
import { nodeEvidenceCrypto, nodeTreeHasher } from '../io/evidence/nodeEvidenceCrypto.js';

/** Reads the evidence tree the runner folds (evidenceTree.ts): its size, roots and proofs. */
export class EvidenceTreeReader {
  private readonly stmt;
  private readonly read: HashReader;

  constructor(db: Database.Database) {
    this.stmt = {
      last: db
        .prepare<[], number>('SELECT leaf FROM evidence_leaves ORDER BY position DESC LIMIT 1')
        .pluck(),
      leafOf: db
        .prepare<[bigint], number>('SELECT leaf FROM evidence_leaves WHERE position = ?')
        .pluck(),
      positionOf: db
        .prepare<[number], number>('SELECT position FROM evidence_leaves WHERE leaf = ?')
        .pluck(),
      hash: db.prepare<[number], Buffer>('SELECT hash FROM evidence_hashes WHERE idx = ?').pluck(),
    };
    this.read = (indexes) =>
      indexes.map((i) => {
        const h = this.stmt.hash.get(i);
        if (!h) throw new ProofError(`the evidence tree has no stored hash ${i}`);
        return h;
      });
  }

  /** How many events the tree holds. */
  size(): number {
    return (this.stmt.last.get() ?? -1) + 1;
  }

  root(size: number): Hash {
    if (size > this.size()) throw new ProofError(`the tree has ${this.size()} leaves, not ${size}`);
    return treeHash(nodeTreeHasher, nodeEvidenceCrypto, size, this.read);
  }

  /** The leaf of the event at a log position; null when the tree does not hold it. */
  leafOf(position: bigint): number | null {
    return this.stmt.leafOf.get(position) ?? null;
  }

  positionOf(leaf: number): bigint | null {
    const p = this.stmt.positionOf.get(leaf);
    return p === undefined ? null : BigInt(p);
  }

  leafHash(leaf: number): Hash | null {
    return this.stmt.hash.get(storedHashIndex(0, leaf)) ?? null;
  }

  inclusion(leaf: number, size: number): Hash[] {
    if (size > this.size()) throw new ProofError(`the tree has ${this.size()} leaves, not ${size}`);
    return proveInclusion(nodeTreeHasher, size, leaf, this.read);
  }

  /**
   * The inclusion proofs of many leaves in one tree: the upper hashes they share are read once
   * (a receipt's proofs share most of theirs).
   */
  inclusions(leaves: readonly number[], size: number): Hash[][] {
    if (size > this.size()) throw new ProofError(`the tree has ${this.size()} leaves, not ${size}`);
    const cache = new Map<number, Hash>();
    const read: HashReader = (indexes) =>
      indexes.map((i) => {
        let h = cache.get(i);
        if (!h) {
          h = this.read([i])[0]!;
          cache.set(i, h);
        }
        return h;
      });
    return leaves.map((leaf) => proveInclusion(nodeTreeHasher, size, leaf, read));
  }

  consistency(from: number, to: number): Hash[] {
    if (to > this.size()) throw new ProofError(`the tree has ${this.size()} leaves, not ${to}`);
    return proveConsistency(nodeTreeHasher, to, from, this.read);
  }
}
