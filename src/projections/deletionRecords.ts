import { stepDoneBy } from '../domain/purgeSteps.js';
import type { StoredEvent } from '../store/eventCodec.js';
import { indexToken, type Projection } from './projection.js';
import { RowBuffer } from './rowBuffer.js';

type ThreadStatus = 'pending' | 'failing' | 'deleted';
type ThreadRow = { root_thread_id: string; status: ThreadStatus; failing: string };
type Requester = { reason: string | null; requested_by: string; request_id: string };

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
    const r = `deletion_requests${suffix}`;
    const d = `deletions${suffix}`;
    const s = `deletion_steps${suffix}`;
    const requester = db.prepare<[string], Requester>(
      `SELECT reason, requested_by, request_id FROM ${r} WHERE root_thread_id = ?`,
    );
    const newRequest = db.prepare(`INSERT OR IGNORE INTO ${r}
      (root_thread_id, status, reason, requested_by, request_id, requested_at, updated_at)
      VALUES (?, 'pending', ?, ?, ?, ?, ?)`);
    const requested = db.prepare(`INSERT OR REPLACE INTO ${d}
      (thread_id, root_thread_id, status, reason, requested_by, request_id, requested_at, updated_at)
      VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)`);
    const thread = db.prepare<[string], ThreadRow>(
      `SELECT root_thread_id, status, failing FROM ${d} WHERE thread_id = ?`,
    );
    // The common case, no step failing: the status stays, no need to rewrite the failing list.
    const stepDoneClean = db.prepare<[number, string], { root_thread_id: string }>(
      `UPDATE ${d} SET steps_done = steps_done + 1, updated_at = ? WHERE thread_id = ? AND failing = '[]'
       RETURNING root_thread_id`,
    );
    const stepDone = db.prepare(`UPDATE ${d} SET steps_done = steps_done + 1, failing = ?,
      status = ?, updated_at = ? WHERE thread_id = ?`);
    const stepFailed =
      db.prepare(`UPDATE ${d} SET failures = failures + 1, failing = ?, status = 'failing',
      last_error = ?, next_retry_at = ?, updated_at = ? WHERE thread_id = ?`);
    const done =
      db.prepare(`UPDATE ${d} SET status = 'deleted', completed_at = ?, failing = '[]', next_retry_at = NULL,
      updated_at = ? WHERE thread_id = ?`);
    const requestStep = db.prepare(
      `UPDATE ${r} SET steps_done = steps_done + ?, failures = failures + ?,
       last_error = COALESCE(?, last_error), updated_at = ? WHERE root_thread_id = ?`,
    );
    // A thread of the request moved from one status to another (null: in or out of the request),
    // and the request's status follows, in one statement (SET reads the row as it was).
    const moved = db.prepare<{
      root: string;
      from: ThreadStatus | null;
      to: ThreadStatus | null;
      at: number;
    }>(`UPDATE ${r} SET
        pending_count = ${PENDING},
        failing_count = ${FAILING},
        deleted_count = deleted_count + (@to IS 'deleted') - (@from IS 'deleted'),
        status = CASE WHEN ${FAILING} > 0 THEN 'failing' WHEN ${PENDING} > 0 THEN 'pending' ELSE 'deleted' END,
        completed_at = CASE WHEN ${FAILING} + ${PENDING} = 0 THEN COALESCE(completed_at, @at) END,
        updated_at = @at
      WHERE root_thread_id = @root`);
    const steps = new RowBuffer(db, s, [
      'thread_id',
      'position',
      'step',
      'outcome',
      'detail',
      'at',
    ]);

    const move = (root: string, from: ThreadStatus | null, to: ThreadStatus | null, at: number) => {
      if (from === to) return;
      moved.run({ root, from, to, at });
    };
    const failingWith = (row: ThreadRow | undefined, key: string, add: boolean): string => {
      const set = new Set<string>(row ? (JSON.parse(row.failing) as string[]) : []);
      if (add) set.add(key);
      else set.delete(key);
      return JSON.stringify([...set].sort());
    };

    // The steps are only ever added: written together at the batch's end.
    const fold = ({ event: e, metadata: m, position }: StoredEvent) => {
      const at = m.recordedAtMs;
      switch (e.type) {
        case 'ThreadDeleteRequested': {
          const { threadId, rootThreadId } = e.data;
          // The request is the root's: a descendant takes its reason and requester. A root's
          // record found missing (a log that never had it) is started from this tombstone.
          let req = requester.get(rootThreadId);
          if (!req) {
            req = { reason: e.data.reason, requested_by: m.actor, request_id: m.requestId };
            newRequest.run(rootThreadId, req.reason, req.requested_by, req.request_id, at, at);
          }
          // A second tombstone of one thread (never written today) replaces the first.
          const before = thread.get(threadId);
          if (before) move(before.root_thread_id, before.status, null, at);
          requested.run(
            threadId,
            rootThreadId,
            req.reason,
            req.requested_by,
            req.request_id,
            at,
            at,
          );
          move(rootThreadId, null, 'pending', at);
          return;
        }
        case 'DeletionStepFailed': {
          const { threadId } = e.data;
          const before = thread.get(threadId);
          stepFailed.run(
            failingWith(before, e.data.step, true),
            e.data.error,
            e.data.nextRetryAtMs,
            at,
            threadId,
          );
          steps.push(threadId, position, e.data.step, 'failed', JSON.stringify(e.data), at);
          if (!before) return;
          requestStep.run(0, 1, e.data.error, at, before.root_thread_id);
          move(before.root_thread_id, before.status, 'failing', at);
          return;
        }
        case 'ThreadDeleted': {
          const before = thread.get(e.data.threadId);
          done.run(at, at, e.data.threadId);
          steps.push(e.data.threadId, position, 'complete', 'deleted', JSON.stringify(e.data), at);
          if (before) move(before.root_thread_id, before.status, 'deleted', at);
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
          const clean = stepDoneClean.get(at, threadId);
          if (clean) {
            requestStep.run(1, 0, null, at, clean.root_thread_id);
            return;
          }
          const before = thread.get(threadId);
          if (!before) return;
          const failing = failingWith(before, recorded.key, false);
          const status: ThreadStatus =
            before.status === 'deleted' ? 'deleted' : failing === '[]' ? 'pending' : 'failing';
          stepDone.run(failing, status, at, threadId);
          requestStep.run(1, 0, null, at, before.root_thread_id);
          move(before.root_thread_id, before.status, status, at);
          return;
        }
      }
    };
    return Object.assign(fold, { begin: () => steps.clear(), end: () => steps.flush() });
  },
};

/** A request's counts once a thread moved from `@from` to `@to` (in SQL, from the row as it was). */
const PENDING = `(pending_count + (@to IS 'pending') - (@from IS 'pending'))`;
const FAILING = `(failing_count + (@to IS 'failing') - (@from IS 'failing'))`;
