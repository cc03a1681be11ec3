import type * as t from 'io-ts';
import type {
  DeletionKey,
  DeletionRequestRecord,
  DeletionRequestRow,
} from '../../projections/deletionQueries.js';
import type { DeletionStepRow } from '../../projections/readModelQueries.js';
import type { DeletionStep, DeletionSummary, OneDeletion } from './deletionShapes.js';
import { isoTime } from './isoTime.js';
import { keysetCursor, keysetOf } from './keysetCursor.js';

/** The one mapping from the read models' deletion rows to the records of `/v1`, and its cursor. */

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
  keysetCursor(r.requested_at, r.root_thread_id);

export const keyOfCursor = (cursor: string): DeletionKey | null => {
  const k = keysetOf(cursor);
  return k === null ? null : { requestedAt: k[0], rootThreadId: k[1] };
};
