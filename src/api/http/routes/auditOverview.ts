import type { FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../../app/ledger.js';
import * as T from '../auditThreadShapes.js';
import { auditThreadOnWire, catalogCursorOf, catalogKeyOf } from '../auditThreadsOnWire.js';
import { statsOnWire } from '../deletionStatsOnWire.js';
import * as S from '../deletionStatsShapes.js';
import { invalid } from '../problem.js';
import { readModelsAt } from '../readYourWrites.js';
import { type RouteSteps, routesOn } from '../route.js';

/** The most threads one page of the catalog holds. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
/** The most buckets the statistics answer. */
const MAX_BUCKETS = 1000;
/** The statistics' window when `since` is omitted: the 30 days before `until`. */
const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export type AuditOverviewOptions = { readonly steps: RouteSteps } & Pick<
  Ledger,
  'queries' | 'runner'
>;

const badParam = (field: string, reason: string) =>
  invalid(`${field} ${reason}`, [{ field, reason }]);

/**
 * The audit's overview, for the reviewer console: the catalog of every thread ever started or
 * deleted (no content), and the deletion records summed up.
 */
export const auditOverview: FastifyPluginAsync<AuditOverviewOptions> = async (app, opts) => {
  const { queries, runner } = opts;
  const route = routesOn(app, opts.steps);
  const audits = { role: 'auditor', tags: ['audit'] } as const;

  route({
    ...audits,
    method: 'GET',
    url: '/v1/audit/threads',
    summary: 'Every thread ever started, deleted ones included, without content; newest first',
    description:
      'The catalog of threads as an auditor sees it, which stays after a deletion: each thread’s ' +
      'id, parent, depth, source kind, when and by whom it was started (`createdBy`: the actor ' +
      'of its `ThreadStarted`), whether it is archived, its status (`live`, `deleting`, ' +
      '`deleted`) and its deletion (the request’s root, who asked and why, when this thread was ' +
      'tombstoned and deleted). Never its content: no name, preview, cwd or rollout path. A thread ' +
      'tombstoned before it ever started has no kind, creation time or creator (null), and is ' +
      'placed at its tombstone’s time. Filters: `sourceKinds`, `status` (lists comma-separated ' +
      'or repeated), `archived`, `actor` (who started it or asked for its deletion), `since` and ' +
      '`until` (creation time, both included; ISO 8601 or epoch milliseconds). Paged newest ' +
      'first: `limit` (1 to 1,000, 100 if omitted) and the `cursor` of the previous page ' +
      '(`nextCursor`). `?minPosition=` waits for the read models.',
    input: { query: T.AuditThreadsQuery },
    responses: { 200: T.AuditThreads },
    handler: async ({ query }) => {
      await readModelsAt(runner, query.minPosition);
      const after = query.cursor === undefined ? undefined : catalogKeyOf(query.cursor);
      if (after === null) throw badParam('cursor', 'must be a nextCursor of this list');
      const limit = query.limit ?? DEFAULT_PAGE;
      if (limit < 1 || limit > MAX_PAGE)
        throw badParam('limit', `must be between 1 and ${MAX_PAGE}, got ${limit}`);
      const { sourceKinds, archived, status: statuses, actor, since, until } = query;
      const filter = { sourceKinds, archived, statuses, actor, since, until, after };
      // One more than the page: whether another page follows.
      const page = queries.catalog.page(filter, limit + 1);
      const rows = page.slice(0, limit);
      const nextCursor = page.length > limit ? catalogCursorOf(rows[rows.length - 1]!) : null;
      return { status: 200, body: { threads: rows.map(auditThreadOnWire), nextCursor } };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/deletions/stats',
    summary: 'The deletion records summed up: status counts, throughput, time to complete',
    description:
      'Over the window [`since`, `until`) (ISO 8601 or epoch milliseconds; by default the 30 ' +
      'days up to now, now included), in buckets of an `hour` or a `day` (the default; UTC, at most 1,000): ' +
      'requests asked for and completed per bucket (`overTime`, each bucket by its start `at`), ' +
      'and the time to complete of the requests completed in the window (count, p50, p90, p99, ' +
      'max, and a histogram: up to 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h, 1 d, and longer with ' +
      '`upToMs` null). Whatever the window: the requests by status now (`counts`) and every step ' +
      'failing now (`failingSteps`, at most 1,000: its thread, request root, step, last error, ' +
      'attempts, next retry). `position`: the log position the figures reflect (the read models’ ' +
      'checkpoint; null before any event): `GET /v1/events?after=<position>` tells what changes ' +
      'them next. `?minPosition=` waits for the read models.',
    input: { query: S.DeletionStatsQuery },
    responses: { 200: S.DeletionStats },
    handler: async ({ query }) => {
      await readModelsAt(runner, query.minPosition);
      const bucket = query.bucket ?? 'day';
      const bucketMs = S.BUCKET_MS[bucket];
      // By default up to now, now included: what completed this millisecond counts.
      const until = query.until ?? opts.steps.clock() + 1;
      const since = query.since ?? Math.max(0, until - DEFAULT_WINDOW_MS);
      if (since >= until) throw badParam('until', 'must be after since');
      const buckets = Math.ceil((until - Math.floor(since / bucketMs) * bucketMs) / bucketMs);
      if (buckets > MAX_BUCKETS)
        throw badParam(
          'since',
          `gives ${buckets} buckets of a ${bucket} up to until, over the ${MAX_BUCKETS} allowed`,
        );
      // Read together (no await between): the figures reflect at least this position.
      const position = runner.position();
      const stats = queries.deletionStats.stats({ since, until, bucketMs });
      return { status: 200, body: statsOnWire(stats, position) };
    },
  });
};
