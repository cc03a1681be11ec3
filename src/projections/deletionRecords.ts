import { stepDoneBy } from '../domain/purgeSteps.js';
import type { StoredEvent } from '../store/eventCodec.js';
import { KeyedRows } from './keyedRows.js';
import { indexToken, type Projection } from './projection.js';
import { RowBuffer } from './rowBuffer.js';

type ThreadStatus = 'pending' | 'failing' | 'deleted';

/** The rows of `deletion_requests` and `deletions`, as folded in memory (see `KeyedRows`). */
type RequestRow = {
  root_thread_id: string;
  status: ThreadStatus;
  reason: string | null;
  requested_by: string;
  request_id: string;
  requested_at: number;
  completed_at: number | null;
  pending_count: number;
  failing_count: number;
  deleted_count: number;
  steps_done: number;
  failures: number;
  last_error: string | null;
  updated_at: number;
};
type DeletionRow = {
  thread_id: string;
  root_thread_id: string;
  status: ThreadStatus;
  reason: string | null;
  requested_by: string;
  request_id: string;
  requested_at: number;
  completed_at: number | null;
  steps_done: number;
  failures: number;
  failing: string; // step keys whose last attempt failed, as a JSON array
  last_error: string | null;
  next_retry_at: number | null;
  updated_at: number;
};

const REQUEST_COLUMNS: readonly (keyof RequestRow)[] = [
  'root_thread_id',
  'status',
  'reason',
  'requested_by',
  'request_id',
  'requested_at',
  'completed_at',
  'pending_count',
  'failing_count',
  'deleted_count',
  'steps_done',
  'failures',
  'last_error',
  'updated_at',
];
const DELETION_COLUMNS: readonly (keyof DeletionRow)[] = [
  'thread_id',
  'root_thread_id',
  'status',
  'reason',
  'requested_by',
  'request_id',
  'requested_at',
  'completed_at',
  'steps_done',
  'failures',
  'failing',
  'last_error',
  'next_retry_at',
  'updated_at',
];

/**
 * The deletion records, one per request: a request is a root thread's tombstone and the cascade
 * it started, so `deletion_requests` has a row per root, `deletions` a row per tombstoned thread
 * (each carrying its request's root, reason and requester: a descendant's own tombstone has no
 * reason, and may have been written by a worker finishing the cascade) and `deletion_steps` every
 * step, attempt and failure of each thread. A request's status is the worst of its threads'
 * (failing, then pending, then deleted), kept by counting its threads in each status.
 *
 * Version 2: descendants carry the root's reason and requester; `deletion_requests`. A read.db
 * folded by an earlier version is refolded from the log when opened (see `openReadModels`).
 */
export const deletionRecordsProjection: Projection = {
  name: 'deletion_records',
  version: 2,
  tables: ['deletion_requests', 'deletions', 'deletion_steps'],
  schema(suffix) {
    return `
      CREATE TABLE IF NOT EXISTS deletion_requests${suffix} (
        root_thread_id TEXT PRIMARY KEY,
        status         TEXT NOT NULL,       -- the worst of its threads': failing > pending > deleted
        reason         TEXT,
        requested_by   TEXT NOT NULL,
        request_id     TEXT NOT NULL,
        requested_at   INTEGER NOT NULL,
        completed_at   INTEGER,             -- when its last thread was deleted
        pending_count  INTEGER NOT NULL DEFAULT 0,
        failing_count  INTEGER NOT NULL DEFAULT 0,
        deleted_count  INTEGER NOT NULL DEFAULT 0,
        steps_done     INTEGER NOT NULL DEFAULT 0,
        failures       INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        updated_at     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS deletions${suffix} (
        thread_id      TEXT PRIMARY KEY,
        root_thread_id TEXT NOT NULL,
        status         TEXT NOT NULL,       -- pending | failing | deleted
        reason         TEXT,                -- the request's (the root's)
        requested_by   TEXT NOT NULL,       -- the request's (the root's)
        request_id     TEXT NOT NULL,       -- the request's (the root's)
        requested_at   INTEGER NOT NULL,    -- this thread's tombstone
        completed_at   INTEGER,
        steps_done     INTEGER NOT NULL DEFAULT 0,
        failures       INTEGER NOT NULL DEFAULT 0,
        failing        TEXT NOT NULL DEFAULT '[]',  -- step keys whose last attempt failed
        last_error     TEXT,
        next_retry_at  INTEGER,
        updated_at     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS deletion_steps${suffix} (
        thread_id TEXT NOT NULL,
        position  INTEGER NOT NULL,
        step      TEXT NOT NULL,
        outcome   TEXT NOT NULL,          -- removed | absent | found | destroyed | failed | deleted
        detail    TEXT NOT NULL,          -- the event's payload, as JSON
        at        INTEGER NOT NULL,
        PRIMARY KEY (thread_id, position)
      ) WITHOUT ROWID;`;
  },
  indexes(suffix) {
    const r = `deletion_requests${suffix}`;
    const d = `deletions${suffix}`;
    const k = indexToken();
    // The list's keyset (newest first), alone or after an equality filter; a request's threads;
    // the failing threads of a request (few: a partial index).
    return `
      CREATE INDEX IF NOT EXISTS ${r}_time_${k} ON ${r} (requested_at, root_thread_id);
      CREATE INDEX IF NOT EXISTS ${r}_status_${k} ON ${r} (status, requested_at, root_thread_id);
      CREATE INDEX IF NOT EXISTS ${r}_actor_${k} ON ${r} (requested_by, requested_at, root_thread_id);
      CREATE INDEX IF NOT EXISTS ${d}_status_${k} ON ${d} (status, requested_at);
      CREATE INDEX IF NOT EXISTS ${d}_root_${k} ON ${d} (root_thread_id);
      CREATE INDEX IF NOT EXISTS ${d}_failing_${k} ON ${d} (root_thread_id) WHERE failing != '[]';`;
  },
  handler(db, suffix) {
    const requests = new KeyedRows<RequestRow>(db, `deletion_requests${suffix}`, REQUEST_COLUMNS);
    const threads = new KeyedRows<DeletionRow>(db, `deletions${suffix}`, DELETION_COLUMNS);
    // The steps are only ever added.
    const steps = new RowBuffer(db, `deletion_steps${suffix}`, [
      'thread_id',
      'position',
      'step',
      'outcome',
      'detail',
      'at',
    ]);

    /** Changes a request's row, if there is one. */
    const request = (root: string, f: (r: RequestRow) => void) => {
      const r = requests.get(root);
      if (r === null) return;
      f(r);
      requests.put(root, r);
    };
    // A thread of the request moved from one status to another (null: in or out of the request),
    // and the request's status follows.
    const move = (root: string, from: ThreadStatus | null, to: ThreadStatus | null, at: number) => {
      if (from === to) return;
      const count = (s: ThreadStatus) => (to === s ? 1 : 0) - (from === s ? 1 : 0);
      request(root, (r) => {
        r.pending_count += count('pending');
        r.failing_count += count('failing');
        r.deleted_count += count('deleted');
        r.status = r.failing_count > 0 ? 'failing' : r.pending_count > 0 ? 'pending' : 'deleted';
        r.completed_at = r.failing_count + r.pending_count === 0 ? (r.completed_at ?? at) : null;
        r.updated_at = at;
      });
    };
    const stepOf = (root: string, done: number, failed: number, error: string | null, at: number) =>
      request(root, (r) => {
        r.steps_done += done;
        r.failures += failed;
        r.last_error = error ?? r.last_error;
        r.updated_at = at;
      });
    const failingWith = (row: DeletionRow, key: string, add: boolean): string => {
      const set = new Set<string>(JSON.parse(row.failing) as string[]);
      if (add) set.add(key);
      else set.delete(key);
      return JSON.stringify([...set].sort());
    };

    const fold = ({ event: e, metadata: m, position }: StoredEvent) => {
      const at = m.recordedAtMs;
      switch (e.type) {
        case 'ThreadDeleteRequested': {
          const { threadId, rootThreadId } = e.data;
          // The request is the root's: a descendant takes its reason and requester. A root's
          // record found missing (a log that never had it) is started from this tombstone.
          let req = requests.get(rootThreadId);
          if (!req) {
            req = {
              root_thread_id: rootThreadId,
              status: 'pending',
              reason: e.data.reason,
              requested_by: m.actor,
              request_id: m.requestId,
              requested_at: at,
              completed_at: null,
              pending_count: 0,
              failing_count: 0,
              deleted_count: 0,
              steps_done: 0,
              failures: 0,
              last_error: null,
              updated_at: at,
            };
            requests.put(rootThreadId, req);
          }
          // A second tombstone of one thread (never written today) replaces the first.
          const before = threads.get(threadId);
          if (before) move(before.root_thread_id, before.status, null, at);
          threads.put(threadId, {
            thread_id: threadId,
            root_thread_id: rootThreadId,
            status: 'pending',
            reason: req.reason,
            requested_by: req.requested_by,
            request_id: req.request_id,
            requested_at: at,
            completed_at: null,
            steps_done: 0,
            failures: 0,
            failing: '[]',
            last_error: null,
            next_retry_at: null,
            updated_at: at,
          });
          move(rootThreadId, null, 'pending', at);
          return;
        }
        case 'DeletionStepFailed': {
          const { threadId } = e.data;
          steps.push(threadId, position, e.data.step, 'failed', JSON.stringify(e.data), at);
          const row = threads.get(threadId);
          if (!row) return;
          const from = row.status;
          threads.put(threadId, {
            ...row,
            failures: row.failures + 1,
            failing: failingWith(row, e.data.step, true),
            status: 'failing',
            last_error: e.data.error,
            next_retry_at: e.data.nextRetryAtMs,
            updated_at: at,
          });
          stepOf(row.root_thread_id, 0, 1, e.data.error, at);
          move(row.root_thread_id, from, 'failing', at);
          return;
        }
        case 'ThreadDeleted': {
          steps.push(e.data.threadId, position, 'complete', 'deleted', JSON.stringify(e.data), at);
          const row = threads.get(e.data.threadId);
          if (!row) return;
          const from = row.status;
          threads.put(e.data.threadId, {
            ...row,
            status: 'deleted',
            completed_at: at,
            failing: '[]',
            next_retry_at: null,
            updated_at: at,
          });
          move(row.root_thread_id, from, 'deleted', at);
          return;
        }
        default: {
          const recorded = stepDoneBy(e);
          if (!recorded) return;
          const { threadId } = e.data as { threadId: string };
          // A waiver is an operator's decision: the record shows who made it, beside why.
          const detail = recorded.outcome === 'waived' ? { ...e.data, waivedBy: m.actor } : e.data;
          steps.push(
            threadId,
            position,
            recorded.key,
            recorded.outcome,
            JSON.stringify(detail),
            at,
          );
          const row = threads.get(threadId);
          if (!row) return;
          // No step failing (the common case): the status stays.
          const failing = row.failing === '[]' ? '[]' : failingWith(row, recorded.key, false);
          const status: ThreadStatus =
            row.failing === '[]' || row.status === 'deleted'
              ? row.status
              : failing === '[]'
                ? 'pending'
                : 'failing';
          const from = row.status;
          threads.put(threadId, {
            ...row,
            steps_done: row.steps_done + 1,
            failing,
            status,
            updated_at: at,
          });
          stepOf(row.root_thread_id, 1, 0, null, at);
          move(row.root_thread_id, from, status, at);
          return;
        }
      }
    };
    // Folded in memory, each row written once at the batch's end.
    return Object.assign(fold, {
      begin: () => {
        requests.clear();
        threads.clear();
        steps.clear();
      },
      end: () => {
        requests.flush();
        threads.flush();
        steps.flush();
      },
    });
  },
};
