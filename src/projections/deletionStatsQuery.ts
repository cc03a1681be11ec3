import type Database from 'better-sqlite3';

/** The upper bounds of the time-to-complete histogram: 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h, 1 d. */
export const TIME_TO_COMPLETE_BOUNDS_MS: readonly number[] = [
  100, 1_000, 10_000, 60_000, 600_000, 3_600_000, 86_400_000,
];

/** The most failing steps the statistics list (the longest-failing first). */
export const MAX_FAILING_STEPS = 1000;

export type DeletionStats = {
  /** Every request by status, whatever its time: what is pending or failing now. */
  counts: { pending: number; failing: number; deleted: number };
  /** Per bucket (its start, epoch ms): requests asked for and requests completed in it. */
  overTime: { at: number; requested: number; completed: number }[];
  /** Of the requests completed in the window: completed minus requested, in ms. */
  timeToComplete: {
    count: number;
    p50Ms: number | null;
    p90Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    /** `upToMs` null: the bucket of everything longer than the last bound. */
    buckets: { upToMs: number | null; count: number }[];
  };
  failingSteps: {
    threadId: string;
    rootThreadId: string;
    step: string;
    lastError: string | null;
    attempts: number;
    nextRetryAt: number | null;
  }[];
};

/** The window: buckets of `bucketMs` aligned on the epoch (UTC), counting times in [since, until). */
export type StatsWindow = { since: number; until: number; bucketMs: number };

/** The nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Statistics of the deletion records by request: status counts, throughput, time to complete, failing steps. */
export class DeletionStatsQueries {
  private readonly s;

  constructor(db: Database.Database) {
    const perBucket = (col: string) =>
      db.prepare<{ since: number; until: number; origin: number; size: number }, Bucket>(
        `SELECT CAST((${col} - @origin) / @size AS INTEGER) AS i, COUNT(*) AS n FROM deletion_requests
         WHERE ${col} >= @since AND ${col} < @until GROUP BY i`,
      );
    this.s = {
      counts: db.prepare<[], { status: string; n: number }>(
        'SELECT status, COUNT(*) AS n FROM deletion_requests GROUP BY status',
      ),
      requested: perBucket('requested_at'),
      completed: perBucket('completed_at'),
      durations: db
        .prepare<[number, number], number>(
          `SELECT completed_at - requested_at FROM deletion_requests
           WHERE completed_at >= ? AND completed_at < ? ORDER BY 1`,
        )
        .pluck(),
      // Each failing step of each thread, with its attempts and its last failure (error, retry).
      failing: db.prepare<[number], FailingRow>(
        `SELECT f.thread_id, f.root_thread_id, j.value AS step,
           (SELECT COUNT(*) FROM deletion_steps s WHERE s.thread_id = f.thread_id AND s.step = j.value) AS attempts,
           (SELECT s.detail FROM deletion_steps s WHERE s.thread_id = f.thread_id AND s.step = j.value
              AND s.outcome = 'failed' ORDER BY s.position DESC LIMIT 1) AS detail
         FROM deletions f, json_each(f.failing) j WHERE f.failing != '[]'
         ORDER BY f.requested_at, f.thread_id, j.value LIMIT ?`,
      ),
    };
  }

  stats(w: StatsWindow): DeletionStats {
    const counts = { pending: 0, failing: 0, deleted: 0 };
    for (const r of this.s.counts.all())
      if (r.status in counts) counts[r.status as keyof typeof counts] = r.n;

    const origin = Math.floor(w.since / w.bucketMs) * w.bucketMs;
    const q = { since: w.since, until: w.until, origin, size: w.bucketMs };
    const n = Math.ceil((w.until - origin) / w.bucketMs);
    const overTime = Array.from({ length: n }, (_, i) => ({
      at: origin + i * w.bucketMs,
      requested: 0,
      completed: 0,
    }));
    for (const b of this.s.requested.all(q)) overTime[b.i]!.requested = b.n;
    for (const b of this.s.completed.all(q)) overTime[b.i]!.completed = b.n;

    const d = this.s.durations.all(w.since, w.until);
    const buckets = [...TIME_TO_COMPLETE_BOUNDS_MS, null].map((upToMs) => ({ upToMs, count: 0 }));
    for (const ms of d) {
      const i = TIME_TO_COMPLETE_BOUNDS_MS.findIndex((bound) => ms <= bound);
      buckets[i < 0 ? buckets.length - 1 : i]!.count++;
    }
    const timeToComplete = {
      count: d.length,
      p50Ms: percentile(d, 50),
      p90Ms: percentile(d, 90),
      p99Ms: percentile(d, 99),
      maxMs: d.length === 0 ? null : d[d.length - 1]!,
      buckets,
    };

    const failingSteps = this.s.failing.all(MAX_FAILING_STEPS).map((r) => {
      const failure = r.detail === null ? null : (JSON.parse(r.detail) as Failure);
      return {
        threadId: r.thread_id,
        rootThreadId: r.root_thread_id,
        step: r.step,
        lastError: failure ? String(failure.error) : null,
        attempts: r.attempts,
        nextRetryAt: typeof failure?.nextRetryAtMs === 'number' ? failure.nextRetryAtMs : null,
      };
    });
    return { counts, overTime, timeToComplete, failingSteps };
  }
}

type Bucket = { i: number; n: number };
type FailingRow = {
  thread_id: string;
  root_thread_id: string;
  step: string;
  attempts: number;
  detail: string | null;
};
type Failure = { error?: unknown; nextRetryAtMs?: unknown };
