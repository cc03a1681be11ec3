import * as t from 'io-ts';
import { nullable } from '../../domain/events.js';
import { IsoTime } from './isoTime.js';
import { Problem } from './responses.js';

/**
 * The evidence of `/v1`: the signing key, the signed checkpoints, the proofs over the tree of the
 * log (RFC 9162), as the routes take and answer them. Hashes are base64 (as in a checkpoint),
 * tree sizes and leaf indexes numbers, log positions decimal strings.
 */

/** The ledger's verifier key: what a reviewer opens every checkpoint and receipt with. */
export const EvidenceKey = t.type({
  /** The C2SP verifier key: `<name>+<key id hex>+base64(0x01 || public key)`. */
  verifierKey: t.string,
  /** The key's name: the origin line of every checkpoint. */
  keyName: t.string,
  /** The key id: 4 bytes, hex. */
  keyId: t.string,
  algorithm: t.literal('Ed25519'),
});

/** Kept checkpoints, smallest first, after the tree size `after`; `limit` 1 to 1,000 (100). */
export const CheckpointsQuery = t.partial({ after: t.Int, limit: t.Int });

/** A signed checkpoint: its tree size, when it was signed, the signed note exactly as served. */
export const CheckpointOnWire = t.type({ size: t.Int, signedAt: IsoTime, note: t.string });

/** A page of kept checkpoints; `next`: the `after` of the next page, null on the last. */
export const Checkpoints = t.type({
  checkpoints: t.array(CheckpointOnWire),
  next: nullable(t.Int),
});

/** Two tree sizes: `1 <= from <= to <= the tree's size`. */
export const ConsistencyQuery = t.type({ from: t.Int, to: t.Int });

/** That the tree of `from` leaves is a prefix of the tree of `to` leaves (RFC 9162 §2.1.4). */
export const ConsistencyProof = t.type({ from: t.Int, to: t.Int, proof: t.array(t.string) });

/** An event's log position (decimal), and the size of the tree to prove it in (default: signed). */
export const InclusionQuery = t.intersection([
  t.type({ position: t.string }),
  t.partial({ size: t.Int }),
]);

/** An event of the log proven in the tree of `size` leaves (RFC 9162 §2.1.3). */
export const InclusionProof = t.type({
  position: t.string,
  /** The event's leaf: its 0-based place in the log. */
  leafIndex: t.Int,
  size: t.Int,
  /** The event exactly as the log stores it, in its canonical text: the leaf's bytes (UTF-8). */
  entry: t.string,
  /** SHA-256(0x00 || entry), base64. */
  leafHash: t.string,
  proof: t.array(t.string),
  /** The signed checkpoint of a tree of `size` leaves, if one is kept. */
  checkpoint: nullable(t.string),
});

/** `409`: the thread's deletion is not complete: its root's status (`live`: not being deleted). */
export const DeletionNotComplete = t.intersection([
  Problem,
  t.type({
    threadId: t.string,
    rootThreadId: t.string,
    rootStatus: t.keyof({ live: null, deleting: null }),
  }),
]);

/**
 * The last verification of the log against every kept checkpoint (`serve`'s, in the background,
 * or the `verify` command's); all null (and counts 0) when none was recorded yet.
 */
export const LogVerificationOnWire = t.type({
  verifiedAt: nullable(IsoTime),
  ok: nullable(t.boolean),
  /** Events recomputed (0 when it stopped at a contradiction). */
  events: t.Int,
  /** Signed checkpoints checked (on a contradiction: how many it was given). */
  checkpoints: t.Int,
  /** The largest tree a verified signature covers (0 on a contradiction). */
  coveredSize: t.Int,
  /** What contradicts a signed checkpoint, naming the position when it can. */
  reason: nullable(t.string),
  by: nullable(t.keyof({ serve: null, cli: null })),
});
