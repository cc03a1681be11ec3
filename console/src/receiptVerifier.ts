import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as E from 'fp-ts/lib/Either.js';
import type { EvidenceCrypto } from '../../src/evidence/evidenceCrypto.js';
import { type ReceiptSummary, verifyReceipt } from '../../src/evidence/receiptCheck.js';
import { parseVerifierKey } from '../../src/evidence/signedNote.js';

/**
 * The receipt rules of `verify-receipt`, run in the browser: the same pure code of src/evidence,
 * with SHA-256 and Ed25519 from audited libraries (@noble) in place of node:crypto.
 */
export const browserEvidenceCrypto: EvidenceCrypto = {
  sha256: (data) => sha256(data),
  verifyEd25519: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      // RFC 8032 strictly, as node:crypto (OpenSSL) reads it: no ZIP-215 leniency.
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

export type Verdict =
  | { readonly ok: true; readonly summary: ReceiptSummary }
  | { readonly ok: false; readonly reason: string };

/** Verifies a receipt (parsed JSON) with the verifier key's text, as `verify-receipt` does. */
export const checkReceipt = (verifierKey: string, receipt: unknown): Verdict => {
  const key = parseVerifierKey(browserEvidenceCrypto, verifierKey);
  if (typeof key === 'string') return { ok: false, reason: `the verifier key: ${key}` };
  const result = verifyReceipt(browserEvidenceCrypto, key, receipt);
  return E.isRight(result)
    ? { ok: true, summary: result.right }
    : { ok: false, reason: result.left };
};
