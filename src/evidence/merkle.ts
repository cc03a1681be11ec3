import { concatBytes, equalBytes } from './bytes.js';
import type { EvidenceCrypto } from './evidenceCrypto.js';

/**
 * The Merkle tree over the log, RFC 9162 §2.1 (RFC 6962) hashing: leaf `SHA-256(0x00 || entry)`,
 * node `SHA-256(0x01 || left || right)`. The algorithms are those of Go's
 * `golang.org/x/mod/sumdb/tlog` (BSD): every complete subtree's hash is stored once, at its
 * "stored hash index", so a tree head or a proof at any size reads O(log n) stored hashes and
 * nothing is ever rewritten. Inclusion and consistency proofs are RFC 9162 §2.1.3 / §2.1.4.
 */
export type Hash = Uint8Array;

/** RFC 9162 hashing; `H` is how a hash is held (bytes, but the verifier's hot loop holds strings). */
export type TreeHasher<H = Hash> = {
  readonly leaf: (entry: Uint8Array) => H;
  readonly node: (left: H, right: H) => H;
};

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export const treeHasher = (crypto: Pick<EvidenceCrypto, 'sha256'>): TreeHasher => ({
  leaf: (entry) => crypto.sha256(concatBytes(LEAF, entry)),
  node: (left, right) => crypto.sha256(concatBytes(NODE, left, right)),
});

/** Reads stored hashes by index, in the order asked. */
export type HashReader = (indexes: readonly number[]) => Hash[];

export class ProofError extends Error {
  override readonly name = 'ProofError';
}

/** The largest power of two smaller than n (n > 1), and its log. */
/** The largest power of two below n (n >= 2), and its log: bit arithmetic up to 2^31, a loop past it. */
const maxPow2 = (n: number): [number, number] => {
  if (n <= 2 ** 31) {
    const l = 31 - Math.clz32(n - 1);
    return [2 ** l, l];
  }
  let l = 31;
  while (2 ** (l + 1) < n) l++;
  return [2 ** l, l];
};

const trailingOnes = (n: number): number => {
  let m = 0;
  for (; n % 2 === 1; n = (n - 1) / 2) m++;
  return m;
};

/** Where the hash of the subtree of 2^level leaves numbered n (at that level) is stored. */
export const storedHashIndex = (level: number, n: number): number => {
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  let i = 0;
  for (; n > 0; n = Math.floor(n / 2)) i += n;
  return i + level;
};

/** How many hashes a tree of n leaves stores. */
export const storedHashCount = (n: number): number => {
  if (n === 0) return 0;
  let count = storedHashIndex(0, n - 1) + 1;
  count += trailingOnes(n - 1);
  return count;
};

/**
 * The hashes that adding leaf n (0-based) stores, in index order from `storedHashIndex(0, n)`:
 * its leaf hash, then each subtree it completes.
 */
export const storedHashesForLeaf = (
  hasher: TreeHasher,
  n: number,
  leafHash: Hash,
  read: HashReader,
): Hash[] => {
  const out = [leafHash];
  const m = trailingOnes(n);
  const indexes: number[] = new Array(m);
  for (let i = 0; i < m; i++) indexes[m - 1 - i] = storedHashIndex(i, Math.floor(n / 2 ** i) - 1);
  const old = read(indexes);
  let h = leafHash;
  for (let i = 0; i < m; i++) {
    h = hasher.node(old[m - 1 - i]!, h);
    out.push(h);
  }
  return out;
};

const subTreeIndex = (lo: number, hi: number, need: number[]): number[] => {
  while (lo < hi) {
    const [k, level] = maxPow2(hi - lo + 1);
    need.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return need;
};

/** Folds the hashes of [lo, hi)'s complete subtrees (from `subTreeIndex`) into one; returns the rest. */
const subTreeHash = (
  hasher: TreeHasher,
  lo: number,
  hi: number,
  hashes: Hash[],
): [Hash, Hash[]] => {
  let numTree = 0;
  while (lo < hi) {
    const [k] = maxPow2(hi - lo + 1);
    numTree++;
    lo += k;
  }
  let h = hashes[numTree - 1]!;
  for (let i = numTree - 2; i >= 0; i--) h = hasher.node(hashes[i]!, h);
  return [h, hashes.slice(numTree)];
};

/** The root of the first n leaves (the empty tree's is SHA-256 of nothing). */
export const treeHash = (
  hasher: TreeHasher,
  crypto: Pick<EvidenceCrypto, 'sha256'>,
  n: number,
  read: HashReader,
): Hash => {
  if (n === 0) return crypto.sha256(new Uint8Array(0));
  const indexes = subTreeIndex(0, n, []);
  return subTreeHash(hasher, 0, n, read(indexes))[0];
};

const leafProofIndex = (lo: number, hi: number, n: number, need: number[]): number[] => {
  if (lo + 1 === hi) return need;
  const [k] = maxPow2(hi - lo);
  if (n < lo + k) {
    leafProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    leafProofIndex(lo + k, hi, n, need);
  }
  return need;
};

const leafProof = (
  hasher: TreeHasher,
  lo: number,
  hi: number,
  n: number,
  hashes: Hash[],
): [Hash[], Hash[]] => {
  if (lo + 1 === hi) return [[], hashes];
  const [k] = maxPow2(hi - lo);
  let p: Hash[];
  let th: Hash;
  if (n < lo + k) {
    [p, hashes] = leafProof(hasher, lo, lo + k, n, hashes);
    [th, hashes] = subTreeHash(hasher, lo + k, hi, hashes);
  } else {
    [th, hashes] = subTreeHash(hasher, lo, lo + k, hashes);
    [p, hashes] = leafProof(hasher, lo + k, hi, n, hashes);
  }
  p.push(th);
  return [p, hashes];
};

const isIndex = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;

/** The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1). */
export const proveInclusion = (
  hasher: TreeHasher,
  size: number,
  index: number,
  read: HashReader,
): Hash[] => {
  if (!isIndex(size) || !isIndex(index) || index >= size)
    throw new ProofError(`no leaf ${index} in a tree of ${size}`);
  const indexes = leafProofIndex(0, size, index, []);
  return indexes.length === 0 ? [] : leafProof(hasher, 0, size, index, read(indexes))[0];
};

const runInclusion = (
  hasher: TreeHasher,
  p: readonly Hash[],
  lo: number,
  hi: number,
  n: number,
  leafHash: Hash,
): Hash | null => {
  if (lo + 1 === hi) return p.length === 0 ? leafHash : null;
  if (p.length === 0) return null;
  const [k] = maxPow2(hi - lo);
  const rest = p.slice(0, -1);
  const last = p[p.length - 1]!;
  if (n < lo + k) {
    const th = runInclusion(hasher, rest, lo, lo + k, n, leafHash);
    return th && hasher.node(th, last);
  }
  const th = runInclusion(hasher, rest, lo + k, hi, n, leafHash);
  return th && hasher.node(last, th);
};

/** Does `proof` show `leafHash` at `index` in the tree of `size` leaves whose root is `root`? */
export const checkInclusion = (
  hasher: TreeHasher,
  proof: readonly Hash[],
  size: number,
  root: Hash,
  index: number,
  leafHash: Hash,
): boolean => {
  if (!isIndex(size) || !isIndex(index) || index >= size) return false;
  if (root.length !== 32 || leafHash.length !== 32) return false;
  if (proof.some((h) => h.length !== 32)) return false;
  const got = runInclusion(hasher, proof, 0, size, index, leafHash);
  return got !== null && equalBytes(got, root);
};

const treeProofIndex = (lo: number, hi: number, n: number, need: number[]): number[] => {
  if (n === hi) return lo === 0 ? need : subTreeIndex(lo, hi, need);
  const [k] = maxPow2(hi - lo);
  if (n <= lo + k) {
    treeProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    treeProofIndex(lo + k, hi, n, need);
  }
  return need;
};

const treeProof = (
  hasher: TreeHasher,
  lo: number,
  hi: number,
  n: number,
  hashes: Hash[],
): [Hash[], Hash[]] => {
  if (n === hi) {
    if (lo === 0) return [[], hashes];
    const [th, rest] = subTreeHash(hasher, lo, hi, hashes);
    return [[th], rest];
  }
  const [k] = maxPow2(hi - lo);
  let p: Hash[];
  let th: Hash;
  if (n <= lo + k) {
    [p, hashes] = treeProof(hasher, lo, lo + k, n, hashes);
    [th, hashes] = subTreeHash(hasher, lo + k, hi, hashes);
  } else {
    [th, hashes] = subTreeHash(hasher, lo, lo + k, hashes);
    [p, hashes] = treeProof(hasher, lo + k, hi, n, hashes);
  }
  p.push(th);
  return [p, hashes];
};

/** The consistency proof from the tree of `from` leaves to that of `to` (RFC 9162 §2.1.4.1). */
export const proveConsistency = (
  hasher: TreeHasher,
  to: number,
  from: number,
  read: HashReader,
): Hash[] => {
  if (!isIndex(to) || !isIndex(from) || from < 1 || from > to)
    throw new ProofError(`no consistency proof from ${from} leaves to ${to}`);
  const indexes = treeProofIndex(0, to, from, []);
  return indexes.length === 0 ? [] : treeProof(hasher, 0, to, from, read(indexes))[0];
};

const runConsistency = (
  hasher: TreeHasher,
  p: readonly Hash[],
  lo: number,
  hi: number,
  n: number,
  old: Hash,
): [Hash, Hash] | null => {
  if (n === hi) {
    if (lo === 0) return p.length === 0 ? [old, old] : null;
    return p.length === 1 ? [p[0]!, p[0]!] : null;
  }
  if (p.length === 0) return null;
  const [k] = maxPow2(hi - lo);
  const rest = p.slice(0, -1);
  const last = p[p.length - 1]!;
  if (n <= lo + k) {
    const r = runConsistency(hasher, rest, lo, lo + k, n, old);
    return r && [r[0], hasher.node(r[1], last)];
  }
  const r = runConsistency(hasher, rest, lo + k, hi, n, old);
  return r && [hasher.node(last, r[0]), hasher.node(last, r[1])];
};

/**
 * Does `proof` show the tree of `from` leaves with root `fromRoot` to be a prefix of the tree of
 * `to` leaves with root `toRoot`? Equal sizes need an empty proof and equal roots.
 */
export const checkConsistency = (
  hasher: TreeHasher,
  proof: readonly Hash[],
  to: number,
  toRoot: Hash,
  from: number,
  fromRoot: Hash,
): boolean => {
  // From an empty tree a proof shows nothing (RFC 9162 defines none): refused, as by transparency-dev.
  if (!isIndex(to) || !isIndex(from) || from < 1 || from > to) return false;
  if (toRoot.length !== 32 || fromRoot.length !== 32) return false;
  if (proof.some((h) => h.length !== 32)) return false;
  const r = runConsistency(hasher, proof, 0, to, from, fromRoot);
  return r !== null && equalBytes(r[0], fromRoot) && equalBytes(r[1], toRoot);
};

/**
 * A tree folded leaf by leaf in memory, keeping only the roots of its complete subtrees (a
 * "compact range" from 0): what `verify` recomputes the log's tree with, in O(log n) memory.
 */
export class CompactTree<H extends Hash | string = Hash> {
  /** Roots of the complete subtrees, largest (leftmost) first. */
  private readonly stack: H[] = [];
  size = 0;

  constructor(private readonly hasher: Pick<TreeHasher<H>, 'node'>) {}

  append(leafHash: H): void {
    let h = leafHash;
    for (let n = this.size; n % 2 === 1; n = (n - 1) / 2)
      h = this.hasher.node(this.stack.pop()!, h);
    this.stack.push(h);
    this.size++;
  }

  /** The root of the leaves appended so far; null for none. */
  root(): H | null {
    if (this.stack.length === 0) return null;
    let h = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) h = this.hasher.node(this.stack[i]!, h);
    return h;
  }
}
