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

/**
 * Reads the evidence tree the runner folds (evidenceTree.ts): its size, roots and proofs. The
 * fold reads it too (its size, the hashes a new leaf completes), on the tables of its suffix.
 */
export class EvidenceTreeReader {
  private readonly stmt;
  /** The stored hashes by index; a missing one is a ProofError. */
  readonly read: HashReader;

  constructor(db: Database.Database, suffix = '') {
    const leaves = `evidence_leaves${suffix}`;
    this.stmt = {
      last: db
        .prepare<[], number>(`SELECT leaf FROM ${leaves} ORDER BY position DESC LIMIT 1`)
        .pluck(),
      leafOf: db.prepare<[bigint], number>(`SELECT leaf FROM ${leaves} WHERE position = ?`).pluck(),
      positionOf: db
        .prepare<[number], number>(`SELECT position FROM ${leaves} WHERE leaf = ?`)
        .pluck(),
      hash: db
        .prepare<[number], Buffer>(`SELECT hash FROM evidence_hashes${suffix} WHERE idx = ?`)
        .pluck(),
      // A receipt's thousand leaves: one query, not one a row. Positions go both ways as decimal
      // text: a KurrentDB position may pass 2^53, where a JavaScript number loses it.
      leavesOf: db
        .prepare<[string], [string, number]>(
          `SELECT CAST(position AS TEXT), leaf FROM ${leaves}
            WHERE position IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`,
        )
        .raw(true),
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

  /** Refuses a size past the tree's: nothing past its last leaf can be hashed or proven. */
  private holds(size: number): void {
    const have = this.size();
    if (size > have) throw new ProofError(`the tree has ${have} leaves, not ${size}`);
  }

  root(size: number): Hash {
    this.holds(size);
    return treeHash(nodeTreeHasher, nodeEvidenceCrypto, size, this.read);
  }

  /** The leaf of the event at a log position; null when the tree does not hold it. */
  leafOf(position: bigint): number | null {
    return this.stmt.leafOf.get(position) ?? null;
  }

  /** The leaves of many log positions at once, in their order; null where the tree holds none. */
  leavesOf(positions: readonly bigint[]): (number | null)[] {
    const found = new Map<string, number>(
      this.stmt.leavesOf.all(JSON.stringify(positions.map(String))),
    );
    return positions.map((p) => found.get(String(p)) ?? null);
  }

  positionOf(leaf: number): bigint | null {
    const p = this.stmt.positionOf.get(leaf);
    return p === undefined ? null : BigInt(p);
  }

  leafHash(leaf: number): Hash | null {
    return this.stmt.hash.get(storedHashIndex(0, leaf)) ?? null;
  }

  inclusion(leaf: number, size: number): Hash[] {
    return this.inclusions([leaf], size)[0]!;
  }

  /**
   * The inclusion proofs of many leaves in one tree: the upper hashes they share are read once
   * (a receipt's proofs share most of theirs).
   */
  inclusions(leaves: readonly number[], size: number): Hash[][] {
    this.holds(size);
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
    this.holds(to);
    return proveConsistency(nodeTreeHasher, to, from, this.read);
  }
}
