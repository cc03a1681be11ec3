import { concatBytes, equalBytes, fromBase64, toBase64, toHex, utf8 } from './bytes.js';
import type { EvidenceCrypto } from './evidenceCrypto.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only (signature type 0x01): the text,
 * a blank line, then `— <key name> base64(key id || signature)` lines. Verifier keys are
 * `<name>+<key id hex>+base64(0x01 || public key)`, as Go's `golang.org/x/mod/sumdb/note` reads them.
 */
export const ED25519 = 0x01;
const DASH = '\u2014 ';
/** Verifiers must accept 16 signatures; more is refused, as is a note over this many bytes. */
const MAX_SIGNATURES = 100;
const MAX_NOTE_BYTES = 1 << 20;

export type VerifierKey = {
  readonly name: string;
  readonly keyId: Uint8Array; // 4 bytes
  readonly publicKey: Uint8Array; // 32 bytes
};

export type NoteSignature = { readonly name: string; readonly keyId: Uint8Array; readonly signature: Uint8Array };
export type Note = { readonly text: string; readonly signatures: readonly NoteSignature[] };

/** A key name: non-empty, no Unicode space and no plus. */
export const isKeyName = (name: string): boolean =>
  name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);

/** key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4] */
export const keyIdOf = (
  crypto: Pick<EvidenceCrypto, 'sha256'>,
  name: string,
  publicKey: Uint8Array,
): Uint8Array =>
  crypto.sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, ED25519), publicKey)).subarray(0, 4);

export const formatVerifierKey = (k: VerifierKey): string =>
  `${k.name}+${toHex(k.keyId)}+${toBase64(concatBytes(Uint8Array.of(ED25519), k.publicKey))}`;

/** Reads a verifier key; the reason when it is not one (or not an Ed25519 one, or its id does not match). */
export const parseVerifierKey = (
  crypto: Pick<EvidenceCrypto, 'sha256'>,
  text: string,
): VerifierKey | string => {
  // Cut at the first two pluses only, as Go's NewVerifier does: base64 has '+' in its alphabet.
  const vkey = text.trim();
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) return 'a verifier key is <name>+<key id hex>+<base64 key>';
  const [name, idHex, key] = [
    vkey.slice(0, first),
    vkey.slice(first + 1, second),
    vkey.slice(second + 1),
  ];
  if (!isKeyName(name)) return `"${name}" is not a key name`;
  if (!/^[0-9a-f]{8}$/.test(idHex)) return 'the key id is not 8 lower-case hex digits';
  const material = fromBase64(key);
  if (!material) return 'the key is not base64';
  if (material.length !== 33 || material[0] !== ED25519)
    return 'the key is not an Ed25519 key (type 0x01 and 32 bytes)';
  const publicKey = material.subarray(1);
  const keyId = keyIdOf(crypto, name, publicKey);
  if (toHex(keyId) !== idHex) return 'the key id does not match the key';
  return { name, keyId, publicKey };
};

const hasControl = (s: string): boolean => /[\u0000-\u0009\u000b-\u001f]/.test(s);

/** Splits a signed note into its text and signature lines; the reason when it is malformed. */
export const parseNote = (note: string): Note | string => {
  if (utf8(note).length > MAX_NOTE_BYTES) return 'the note is too large';
  if (hasControl(note)) return 'the note has a control character';
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return 'the note has no blank line before its signatures';
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2);
  if (!sigLines.endsWith('\n')) return 'the signatures do not end with a newline';
  const lines = sigLines.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return 'the note has too many signatures';
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(DASH)) return 'a signature line does not start with "— "';
    const rest = line.slice(DASH.length);
    const space = rest.indexOf(' ');
    if (space < 0) return 'a signature line has no signature';
    const name = rest.slice(0, space);
    const bytes = fromBase64(rest.slice(space + 1));
    if (!isKeyName(name)) return `"${name}" is not a key name`;
    if (!bytes || bytes.length < 5) return `the signature of ${name} is not base64 of a key id and a signature`;
    signatures.push({ name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) });
  }
  return { text, signatures };
};

export const formatNote = (n: Note): string =>
  `${n.text}\n${n.signatures
    .map((s) => `${DASH}${s.name} ${toBase64(concatBytes(s.keyId, s.signature))}\n`)
    .join('')}`;

/**
 * Opens a note with a verifier key: its text if a signature of that key (same name and id)
 * verifies; the reason otherwise. Signatures of other keys are ignored, as the spec says, but one
 * of this key that does not verify fails the note.
 */
export const openNote = (
  crypto: EvidenceCrypto,
  note: string,
  key: VerifierKey,
): { text: string } | string => {
  const parsed = parseNote(note);
  if (typeof parsed === 'string') return parsed;
  const mine = parsed.signatures.filter(
    (s) => s.name === key.name && equalBytes(s.keyId, key.keyId),
  );
  if (mine.length === 0) return `the note is not signed by ${key.name}`;
  const message = utf8(parsed.text);
  for (const s of mine)
    if (!crypto.verifyEd25519(key.publicKey, message, s.signature))
      return `the signature of ${key.name} does not verify`;
  return { text: parsed.text };
};
