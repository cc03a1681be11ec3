import * as t from 'io-ts';
import { nullable } from '../../domain/events.js';
import type {
  DeletionKey,
  DeletionRequestRecord,
  DeletionRequestRow,
} from '../../projections/deletionQueries.js';
import type { DeletionStepRow } from '../../projections/readModelQueries.js';
import { IsoTime, isoTime } from './isoTime.js';
import { Consistency } from './requests.js';
import { TimeParam } from './timeParam.js';

/**
 * The deletion records of `/v1`, one per request (a root thread's tombstone and its cascade): the
 * query of the list and the shapes of its answers, for the routes and the OpenAPI document, and
 * the one mapping from the read models' rows to them. camelCase, times as ISO 8601 UTC strings.
 */

const Status = t.keyof({ pending: null, failing: null, deleted: null });
/** Documented as `format: date-time`, as every `...At` of `/v1`. */
const Time = IsoTime;

/** The list: filters, a keyset cursor (the `nextCursor` of the page before), the export format. */
export const DeletionsQuery = t.intersection([
  t.partial({
    actor: t.string,
    status: Status,
    since: TimeParam,
    until: TimeParam,
    limit: t.Int,
    cursor: t.string,
    format: t.keyof({ json: null, csv: null, ndjson: null }),
  }),
  Consistency,
]);
export type DeletionsQuery = t.TypeOf<typeof DeletionsQuery>;

const FailingStep = t.type({ threadId: t.string, step: t.string });

/** One request, as a row of the list (and of the exports). */
export const DeletionSummary = t.type({
  /** The request's id: its root thread's id. */
  id: t.string,
  rootThreadId: t.string,
  /** The worst of its threads': failing, then pending, then deleted. */
  status: Status,
  reason: nullable(t.string),
  requestedBy: t.string,
  requestId: t.string,
  requestedAt: Time,
  completedAt: nullable(Time),
  updatedAt: Time,
  threadCount: t.Int,
  deletedThreadCount: t.Int,
  stepsDone: t.Int,
  failures: t.Int,
  /** The steps whose last attempt failed, of every thread. */
  failing: t.array(FailingStep),
  lastError: nullable(t.string),
  /** The earliest retry due of a failing step. */
  nextRetryAt: nullable(Time),
});
/** As sent (counts plain numbers). */
export type DeletionSummary = t.OutputOf<typeof DeletionSummary>;

export const DeletionStep = t.type({
  /** The step's name in the log (`rollout:<path>`, `content`, ...). */
  step: t.string,
  /** codex-home, rollout, index, history, database, content. */
  kind: t.string,
  /** The file it purges, for a step on a file. */
  target: nullable(t.string),
  /** waived: an operator settled it without it (who and why in `detail`). */
  state: t.keyof({ done: null, failed: null, waived: null }),
  /** How it went, once done: removed, absent, found, destroyed. */
  outcome: nullable(t.string),
  attempts: t.Int,
  lastError: nullable(t.string),
  nextRetryAt: nullable(Time),
  updatedAt: Time,
  /** What the event that recorded it done says (sizes, digests, lines, rows), as recorded. */
  detail: t.unknown,
});

export const DeletionThread = t.type({
  threadId: t.string,
  parentThreadId: nullable(t.string),
  depth: nullable(t.Int),
  status: Status,
  reason: nullable(t.string),
  requestedBy: t.string,
  requestedAt: Time,
  completedAt: nullable(Time),
  updatedAt: Time,
  stepsDone: t.Int,
  failures: t.Int,
  failing: t.array(FailingStep),
  lastError: nullable(t.string),
  nextRetryAt: nullable(Time),
  steps: t.array(DeletionStep),
});

export const Deletions = t.type({
  data: t.array(DeletionSummary),
  /** The cursor of the next page; null on the last. */
  nextCursor: nullable(t.string),
});
export const OneDeletion = t.type({
  deletion: t.intersection([DeletionSummary, t.type({ threads: t.array(DeletionThread) })]),
});

const iso = isoTime;
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const summaryOnWire = (r: DeletionRequestRow): DeletionSummary => ({
  id: r.root_thread_id,
  rootThreadId: r.root_thread_id,
  status: r.status,
  reason: r.reason,
  requestedBy: r.requested_by,
  requestId: r.request_id,
  requestedAt: iso(r.requested_at),
  completedAt: isoOrNull(r.completed_at),
  updatedAt: iso(r.updated_at),
  threadCount: r.pending_count + r.failing_count + r.deleted_count,
  deletedThreadCount: r.deleted_count,
  stepsDone: r.steps_done,
  failures: r.failures,
  failing: JSON.parse(r.failing) as { threadId: string; step: string }[],
  lastError: r.last_error,
  nextRetryAt: isoOrNull(r.next_retry_at),
});

const kindOf = (key: string): { kind: string; target: string | null } => {
  const colon = key.indexOf(':');
  return colon < 0
    ? { kind: key, target: null }
    : { kind: key.slice(0, colon), target: key.slice(colon + 1) };
};

type Step = t.OutputOf<typeof DeletionStep>;

/** A thread's steps, one entry each, from the events that record their attempts (in log order). */
const stepsOf = (rows: readonly DeletionStepRow[]): Step[] => {
  const steps = new Map<string, Step>();
  for (const row of rows) {
    if (row.step === 'complete') continue;
    const detail = JSON.parse(row.detail) as Record<string, unknown>;
    const s = steps.get(row.step) ?? {
      step: row.step,
      ...kindOf(row.step),
      state: 'failed' as const,
      outcome: null,
      attempts: 0,
      lastError: null,
      nextRetryAt: null,
      updatedAt: iso(row.at),
      detail: null,
    };
    s.attempts++;
    s.updatedAt = iso(row.at);
    if (row.outcome === 'failed') {
      s.state = 'failed';
      s.lastError = String(detail['error']);
      s.nextRetryAt = iso(Number(detail['nextRetryAtMs']));
    } else {
      s.state = row.outcome === 'waived' ? 'waived' : 'done';
      s.outcome = row.outcome;
      s.nextRetryAt = null;
      s.detail = detail;
    }
    steps.set(row.step, s);
  }
  return [...steps.values()];
};

/** A request's whole record: every thread of its subtree, every step of each. */
export const recordOnWire = (
  r: DeletionRequestRecord,
): t.OutputOf<typeof OneDeletion>['deletion'] => {
  const byThread = new Map<string, DeletionStepRow[]>();
  for (const s of r.steps) byThread.set(s.thread_id, [...(byThread.get(s.thread_id) ?? []), s]);
  const threads = r.threads.map((d) => ({
    threadId: d.thread_id,
    parentThreadId: d.parent_thread_id,
    depth: d.depth,
    status: d.status,
    reason: d.reason,
    requestedBy: d.requested_by,
    requestedAt: iso(d.requested_at),
    completedAt: isoOrNull(d.completed_at),
    updatedAt: iso(d.updated_at),
    stepsDone: d.steps_done,
    failures: d.failures,
    failing: (JSON.parse(d.failing) as string[]).map((step) => ({ threadId: d.thread_id, step })),
    lastError: d.last_error,
    nextRetryAt: d.failing === '[]' ? null : isoOrNull(d.next_retry_at),
    steps: stepsOf(byThread.get(d.thread_id) ?? []),
  }));
  return { ...summaryOnWire(r.request), threads };
};

/** A keyset cursor: where the page it starts follows, opaque to clients. */
export const cursorOf = (r: DeletionRequestRow): string =>
  Buffer.from(JSON.stringify([r.requested_at, r.root_thread_id])).toString('base64url');

export const keyOfCursor = (cursor: string): DeletionKey | null => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [requestedAt, rootThreadId] = v as unknown[];
    if (!Number.isSafeInteger(requestedAt) || typeof rootThreadId !== 'string') return null;
    return { requestedAt: requestedAt as number, rootThreadId };
  } catch {
    return null;
  }
};
