import { fromBase64, toBase64 } from './bytes.js';
import type { EvidenceCrypto } from './evidenceCrypto.js';
import type { Hash } from './merkle.js';
import { openNote, parseNote, type VerifierKey } from './signedNote.js';

/**
 * The text of a C2SP checkpoint (https://c2sp.org/tlog-checkpoint): origin, tree size, root
 * hash, one per line, no extension lines. Signed as a note (signedNote.ts).
 */
export type Checkpoint = { readonly origin: string; readonly size: number; readonly root: Hash };

export const formatCheckpoint = (c: Checkpoint): string =>
  `${c.origin}\n${c.size}\n${toBase64(c.root)}\n`;

/** Reads a checkpoint's text; the reason when it is not one. */
export const parseCheckpoint = (text: string): Checkpoint | string => {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return 'a checkpoint has three lines';
  const [origin, size, root] = lines as [string, string, string];
  if (lines.slice(3, -1).some((l) => l === '')) return 'a checkpoint has an empty extension line';
  if (origin === '') return 'the checkpoint has no origin';
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size)))
    return 'the tree size is not a decimal number without leading zeros';
  const hash = fromBase64(root);
  if (hash?.length !== 32) return 'the root hash is not base64 of 32 bytes';
  return { origin, size: Number(size), root: hash };
};

/** A checkpoint note read without checking its signature: to show it, or to hold a tree to it. */
export const readCheckpoint = (note: string): Checkpoint | string => {
  const parsed = parseNote(note);
  return typeof parsed === 'string' ? parsed : parseCheckpoint(parsed.text);
};

/** A checkpoint note opened with a verifier key: its checkpoint if that key signed it; the reason otherwise. */
export const openCheckpoint = (
  crypto: EvidenceCrypto,
  note: string,
  key: VerifierKey,
): Checkpoint | string => {
  const opened = openNote(crypto, note, key);
  if (typeof opened === 'string') return opened;
  const checkpoint = parseCheckpoint(opened.text);
  return checkpoint;
};
