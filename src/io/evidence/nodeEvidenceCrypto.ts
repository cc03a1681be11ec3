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

/** RFC 9162 hashing, one-shot (no Hash object per call): the tree is hashed on every append. */
export const nodeTreeHasher: TreeHasher = {
  leaf: (entry) => hash('sha256', Buffer.concat([LEAF, entry]), 'buffer'),
  node: (left, right) => {
    if (left.length !== 32 || right.length !== 32)
      return hash('sha256', Buffer.concat([SCRATCH.subarray(0, 1), left, right]), 'buffer');
    // One scratch buffer for every node: hashing is synchronous, so nothing else holds it meanwhile.
    SCRATCH.set(left, 1);
    SCRATCH.set(right, 33);
    return hash('sha256', SCRATCH, 'buffer');
  },
};

/** The leaf hash of an entry's text: `SHA-256(0x00 || UTF-8 of the text)`, the text never copied to bytes first. */
export const leafHashOfText = (entry: string): Buffer => hash('sha256', `\u0000${entry}`, 'buffer');
