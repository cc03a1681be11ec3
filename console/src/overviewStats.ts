import type { OverTimePoint } from './charts/deletionsOverTime.js';
import type { TimeToComplete } from './charts/timeToComplete.js';

/** The answer of GET /v1/deletions/stats, as the overview reads it. */
export type DeletionStats = {
  readonly counts: { readonly pending: number; readonly failing: number; readonly deleted: number };
  readonly overTime: readonly OverTimePoint[];
  readonly timeToComplete: TimeToComplete;
  readonly failingSteps: readonly FailingStep[];
};

export type FailingStep = {
  readonly threadId: string;
  readonly rootThreadId: string;
  readonly step: string;
  readonly lastError: string | null;
  readonly attempts: number;
  readonly nextRetryAt: string | null;
};

/** The answer of GET /v1/evidence/verification: the last verification of the log. */
export type Verification = {
  readonly verifiedAt: string | null;
  readonly ok: boolean | null;
  readonly events: number;
  readonly checkpoints: number;
  readonly coveredSize: number;
  readonly reason: string | null;
  readonly by: 'serve' | 'cli' | null;
};

/** The buckets of the chart over time. */
export const BUCKET = 'day';
