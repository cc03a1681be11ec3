import type * as t from 'io-ts';
import type { DeletionStats as StatsRows } from '../../projections/deletionStatsQuery.js';
import type { DeletionStats } from './deletionStatsShapes.js';
import { isoTime } from './isoTime.js';

/** The deletion statistics of the read models, as `GET /v1/deletions/stats` answers them. */
/** `position`: the read models' checkpoint when `s` was read (the figures reflect at least it). */
export const statsOnWire = (
  s: StatsRows,
  position: bigint | null,
): t.OutputOf<typeof DeletionStats> => ({
  position: position === null ? null : String(position),
  counts: s.counts,
  overTime: s.overTime.map((b) => ({ ...b, at: isoTime(b.at) })),
  timeToComplete: s.timeToComplete,
  failingSteps: s.failingSteps.map((f) => ({
    ...f,
    nextRetryAt: f.nextRetryAt === null ? null : isoTime(f.nextRetryAt),
  })),
});
