import * as t from 'io-ts';
import { nullable } from '../../domain/events.js';
import { Consistency } from './consistency.js';
import { IsoTime } from './isoTime.js';
import { TimeParam } from './timeParam.js';

/**
 * The deletion records of `/v1`, one per request (a root thread's tombstone and its cascade): the
 * query of the list and the shapes of its answers, for the routes and the OpenAPI document, (the
 * mapping from the read models' rows: deletionsOnWire.ts). Only io-ts and src/domain: the console
 * derives its types from these. camelCase, times as ISO 8601 UTC strings.
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
