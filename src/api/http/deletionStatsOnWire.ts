import type * as t from 'io-ts';
import type { DeletionStats as StatsRows } from '../../projections/deletionStatsQuery.js';
import type { DeletionStats } from './deletionStatsShapes.js';
import { isoTime } from './isoTime.js';

/** The deletion statistics of the read models, as `GET /v1/deletions/stats` answers them. */
export const statsOnWire = (s: StatsRows): t.OutputOf<typeof DeletionStats> => ({
  counts: s.counts,
  overTime: s.overTime.map((b) => ({ ...b, at: isoTime(b.at) })),
  timeToComplete: s.timeToComplete,
  failingSteps: s.failingSteps.map((f) => ({
    ...f,
    nextRetryAt: f.nextRetryAt === null ? null : isoTime(f.nextRetryAt),
  })),
});
