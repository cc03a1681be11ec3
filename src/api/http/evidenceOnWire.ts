import type * as t from 'io-ts';
import { toBase64 } from '../../evidence/bytes.js';
import type { KeptCheckpoint } from '../../io/evidence/checkpointStore.js';
import type { Verification } from '../../io/evidence/verificationLog.js';
import type { CheckpointOnWire, LogVerificationOnWire } from './evidenceShapes.js';
import { isoTime } from './isoTime.js';

/** The evidence of the ledger as `/v1` answers it: the mappings to evidenceShapes.ts. */

export const checkpointOnWire = (c: KeptCheckpoint): t.OutputOf<typeof CheckpointOnWire> => ({
  size: c.size,
  signedAt: isoTime(c.signedAtMs),
  note: c.note,
});

export const verificationOnWire = (
  v: Verification | null,
): t.OutputOf<typeof LogVerificationOnWire> =>
  v === null
    ? {
        verifiedAt: null,
        ok: null,
        events: 0,
        checkpoints: 0,
        coveredSize: 0,
        reason: null,
        by: null,
      }
    : {
        verifiedAt: isoTime(v.verifiedAtMs),
        ok: v.ok,
        events: v.events,
        checkpoints: v.checkpoints,
        coveredSize: v.coveredSize,
        reason: v.reason,
        by: v.by,
      };

export const hashesOnWire = (hashes: readonly Uint8Array[]): string[] => hashes.map(toBase64);
