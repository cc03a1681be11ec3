import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { concatBytes, fromBase64, toBase64, toHex } from '../../evidence/bytes.js';
import {
  cutPluses,
  ED25519,
  formatVerifierKey,
  isKeyName,
  keyIdOf,
  type VerifierKey,
} from '../../evidence/signedNote.js';
import { nodeEvidenceCrypto } from './nodeEvidenceCrypto.js';

/**
 * The ledger's checkpoint signing key: Ed25519, in the signer-key format of Go's
 * `golang.org/x/mod/sumdb/note` (`PRIVATE+KEY+<name>+<key id hex>+base64(0x01 || seed)`), so the
 * same file works with Go's tooling. Its name is the checkpoints' origin.
 */
export type SigningKey = {
  readonly verifier: VerifierKey;
  /** The verifier key as text: `<name>+<key id hex>+base64(0x01 || public key)`. */
  readonly verifierText: string;
  sign(message: Uint8Array): Uint8Array;
};

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const fromSeed = (name: string, seed: Uint8Array): SigningKey => {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = Buffer.from(jwk.x as string, 'base64url');
  const verifier = { name, keyId: keyIdOf(nodeEvidenceCrypto, name, publicKey), publicKey };
  return {
    verifier,
    verifierText: formatVerifierKey(verifier),
    sign: (message) => sign(null, message, privateKey),
  };
};

/** Reads a signer key's text; the reason it is not one. */
export const parseSigningKey = (text: string): SigningKey | string => {
  const parts = cutPluses(text.trim(), 5);
  if (parts?.[0] !== 'PRIVATE' || parts[1] !== 'KEY')
    return 'a signing key is PRIVATE+KEY+<name>+<key id hex>+<base64 key>';
  const [, , name, idHex, material] = parts as [string, string, string, string, string];
  if (!isKeyName(name)) return `"${name}" is not a key name`;
  const bytes = fromBase64(material);
  if (bytes?.length !== 33 || bytes[0] !== ED25519)
    return 'the key is not an Ed25519 seed (type 0x01 and 32 bytes)';
  const key = fromSeed(name, bytes.subarray(1));
  if (toHex(key.verifier.keyId) !== idHex) return 'the key id does not match the key';
  return key;
};

export const formatSigningKey = (name: string, seed: Uint8Array): string => {
  const key = fromSeed(name, seed);
  return `PRIVATE+KEY+${name}+${toHex(key.verifier.keyId)}+${toBase64(concatBytes(Uint8Array.of(ED25519), seed))}\n`;
};

/** Reads the signing key from a file; a SigningKeyError naming the file and what is wrong. */
export const readSigningKey = (file: string): SigningKey => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SigningKeyError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  const key = parseSigningKey(text.length > 4096 ? '' : text);
  if (typeof key === 'string') throw new SigningKeyError(`${file}: ${key}`);
  return key;
};

/**
 * Makes a new signing key in `file` (mode 0600, never over an existing file). Its name says whose
 * log it signs: `thread-ledger/` and a fingerprint of the key itself, unique without configuration.
 */
export const createSigningKey = (file: string): SigningKey => {
  const seed = randomBytes(32);
  const probe = fromSeed('probe', seed);
  const fingerprint = createHash('sha256').update(probe.verifier.publicKey).digest('hex');
  const name = `thread-ledger/${fingerprint.slice(0, 16)}`;
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, formatSigningKey(name, seed));
  } finally {
    closeSync(fd);
  }
  return readSigningKey(file);
};

/**
 * The key in `file`; made there first when `create` and the file does not exist (another process
 * making it at the same moment wins, and its key is read).
 */
export const openSigningKey = (
  file: string,
  create: boolean,
): { key: SigningKey; created: boolean } => {
  if (create) {
    try {
      return { key: createSigningKey(file), created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return { key: readSigningKey(file), created: false };
};
