import { createHash, createPublicKey, hash, verify } from 'node:crypto';
import type { EvidenceCrypto } from '../../evidence/evidenceCrypto.js';
import type { TreeHasher } from '../../evidence/merkle.js';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const nodeEvidenceCrypto: EvidenceCrypto = {
  sha256: (data) => createHash('sha256').update(data).digest(),
  verifyEd25519: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  },
};

const LEAF = Buffer.of(0);
const SCRATCH = Buffer.alloc(65);
SCRATCH[0] = 1;

/**
 * A digest as bytes. `crypto.hash` returning a Buffer costs about 1 us more a call than returning
 * a string (measured on Node 20: ~2.0 vs ~0.8 us for 65 bytes), while a 32-byte `Buffer.from` of
 * a latin1 string comes from Node's pool: so the digest comes back as a latin1 ('binary') string and is copied.
 */
const digest = (data: Uint8Array | string): Buffer => bytesOfBinary(hash('sha256', data, 'binary'));

/** A hash held as a latin1 string, as bytes. */
export const bytesOfBinary = (h: string): Buffer => Buffer.from(h, 'binary');

/** RFC 9162 hashing, one-shot (no Hash object per call): the tree is hashed on every append. */
export const nodeTreeHasher: TreeHasher = {
  leaf: (entry) => digest(Buffer.concat([LEAF, entry])),
  node: (left, right) => {
    if (left.length !== 32 || right.length !== 32)
      return digest(Buffer.concat([SCRATCH.subarray(0, 1), left, right]));
    // One scratch buffer for every node: hashing is synchronous, so nothing else holds it meanwhile.
    SCRATCH.set(left, 1);
    SCRATCH.set(right, 33);
    return digest(SCRATCH);
  },
};

/**
 * The same hashing with each hash held as a latin1 ('binary') string, a character a byte: what
 * `verify` folds the whole log with. No Buffer is made per hash, about 0.3 us less a hash here.
 */
export const binaryTreeHasher = {
  leafOfText: (entry: string): string => hash('sha256', `\u0000${entry}`, 'binary'),
  node: (left: string, right: string): string => {
    for (let i = 0; i < 32; i++) {
      SCRATCH[1 + i] = left.charCodeAt(i);
      SCRATCH[33 + i] = right.charCodeAt(i);
    }
    return hash('sha256', SCRATCH, 'binary');
  },
};

/** The leaf hash of an entry's text: `SHA-256(0x00 || UTF-8 of the text)`, the text never copied to bytes first. */
export const leafHashOfText = (entry: string): Buffer =>
  bytesOfBinary(binaryTreeHasher.leafOfText(entry));
