import * as t from 'io-ts';
import { nullable } from '../../domain/events.js';
import { Consistency } from './consistency.js';
import { IsoTime } from './isoTime.js';
import { TimeParam } from './timeParam.js';

/** The window [since, until) and its buckets (`hour` or `day`, UTC). */
export const DeletionStatsQuery = t.intersection([
  t.partial({ since: TimeParam, until: TimeParam, bucket: t.keyof({ hour: null, day: null }) }),
  Consistency,
]);

export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** `GET /v1/deletions/stats`: the deletion records by request, summed up. */
export const DeletionStats = t.type({
  /**
   * The log position the figures reflect (the read models' checkpoint; decimal), null before
   * they applied any event: follow `GET /v1/events?after=<position>` to hear of what changes them.
   */
  position: nullable(t.string),
  /** Every request by status, whatever its time: what is pending or failing now. */
  counts: t.type({ pending: t.Int, failing: t.Int, deleted: t.Int }),
  /** Each bucket of the window (`at`: its start): requests asked for, and completed, in it. */
  overTime: t.array(t.type({ at: IsoTime, requested: t.Int, completed: t.Int })),
  /** Of the requests completed in the window: from the request to its last thread deleted. */
  timeToComplete: t.type({
    count: t.Int,
    p50Ms: nullable(t.Int),
    p90Ms: nullable(t.Int),
    p99Ms: nullable(t.Int),
    maxMs: nullable(t.Int),
    /** How many took at most `upToMs` (and more than the bound before); null: longer than a day. */
    buckets: t.array(t.type({ upToMs: nullable(t.Int), count: t.Int })),
  }),
  /** Every step failing now (whatever the window), its thread's longest-waiting first. */
  failingSteps: t.array(
    t.type({
      threadId: t.string,
      rootThreadId: t.string,
      step: t.string,
      lastError: nullable(t.string),
      attempts: t.Int,
      nextRetryAt: nullable(IsoTime),
    }),
  ),
});
