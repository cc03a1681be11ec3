import type { KeptCheckpoint } from '../../io/evidence/checkpointStore.js';
import type { Verification, VerifiedBy } from '../../io/evidence/verificationLog.js';
import type { CheckpointToVerify, LogVerification } from './logVerifier.js';

/** The kept checkpoints, each labelled by its size, as `verifyLog` names them in a contradiction. */
export const keptToVerify = (kept: Iterable<KeptCheckpoint>): CheckpointToVerify[] =>
  [...kept].map((c) => ({ label: `the checkpoint signed at size ${c.size}`, note: c.note }));

/**
 * A verification as recorded: what `verifyLog` found, by whom, when. `checkpoints`: how many it
 * checked (on a contradiction: how many it was given).
 */
export const verificationRecord = (
  r: LogVerification,
  given: readonly CheckpointToVerify[],
  by: VerifiedBy,
  verifiedAtMs: number,
): Verification =>
  r.ok
    ? {
        verifiedAtMs,
        ok: true,
        events: r.events,
        checkpoints: r.checkpoints,
        coveredSize: r.coveredSize,
        reason: null,
        by,
      }
    : {
        verifiedAtMs,
        ok: false,
        events: 0,
        checkpoints: given.length,
        coveredSize: 0,
        reason: r.reason,
        by,
      };
