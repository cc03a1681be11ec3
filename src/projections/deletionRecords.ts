import { stepDoneBy } from '../domain/purgeSteps.js';
import type { StoredEvent } from '../store/eventCodec.js';
import { indexToken, type Projection } from './projection.js';

type Row = { failing: string };

/**
 * One record per tombstoned thread: its status (pending, failing, deleted), who asked and why,
 * and every step, attempt and failure in `deletion_steps`.
 */
export const deletionRecordsProjection: Projection = {
  name: 'deletion_records',
  tables: ['deletions', 'deletion_steps'],
  schema(suffix) {
    return `
      CREATE TABLE IF NOT EXISTS deletions${suffix} (
        thread_id      TEXT PRIMARY KEY,
        root_thread_id TEXT NOT NULL,
        status         TEXT NOT NULL,       -- pending | failing | deleted
        reason         TEXT,
        requested_by   TEXT NOT NULL,
        request_id     TEXT NOT NULL,
        requested_at   INTEGER NOT NULL,
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
        outcome   TEXT NOT NULL,          -- removed | absent | destroyed | failed | deleted
        detail    TEXT NOT NULL,          -- the event's payload, as JSON
        at        INTEGER NOT NULL,
        PRIMARY KEY (thread_id, position)
      ) WITHOUT ROWID;`;
  },
  indexes(suffix) {
    const d = `deletions${suffix}`;
    const k = indexToken();
    return `
      CREATE INDEX IF NOT EXISTS ${d}_status_${k} ON ${d} (status, requested_at);
      CREATE INDEX IF NOT EXISTS ${d}_root_${k} ON ${d} (root_thread_id);`;
  },
  handler(db, suffix) {
    const d = `deletions${suffix}`;
    const s = `deletion_steps${suffix}`;
    const requested = db.prepare(`INSERT OR REPLACE INTO ${d}
      (thread_id, root_thread_id, status, reason, requested_by, request_id, requested_at, updated_at)
      VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)`);
    const getFailing = db.prepare<[string], Row>(`SELECT failing FROM ${d} WHERE thread_id = ?`);
    const stepDone = db.prepare(`UPDATE ${d} SET steps_done = steps_done + 1, failing = ?,
      status = CASE WHEN ? = '[]' THEN 'pending' ELSE 'failing' END, updated_at = ? WHERE thread_id = ?`);
    const stepDoneClean = db.prepare(
      `UPDATE ${d} SET steps_done = steps_done + 1, updated_at = ? WHERE thread_id = ? AND failing = '[]'`,
    );
    const stepFailed =
      db.prepare(`UPDATE ${d} SET failures = failures + 1, failing = ?, status = 'failing',
      last_error = ?, next_retry_at = ?, updated_at = ? WHERE thread_id = ?`);
    const done =
      db.prepare(`UPDATE ${d} SET status = 'deleted', completed_at = ?, failing = '[]', next_retry_at = NULL,
      updated_at = ? WHERE thread_id = ?`);
    const step = db.prepare(
      `INSERT INTO ${s} (thread_id, position, step, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)`,
    );

    const failingWith = (threadId: string, key: string, add: boolean): string => {
      const row = getFailing.get(threadId);
      const set = new Set<string>(row ? (JSON.parse(row.failing) as string[]) : []);
      if (add) set.add(key);
      else set.delete(key);
      return JSON.stringify([...set].sort());
    };

    return ({ event: e, metadata: m, position }: StoredEvent) => {
      const at = m.recordedAtMs;
      switch (e.type) {
        case 'ThreadDeleteRequested':
          requested.run(
            e.data.threadId,
            e.data.rootThreadId,
            e.data.reason,
            m.actor,
            m.requestId,
            at,
            at,
          );
          return;
        case 'DeletionStepFailed':
          stepFailed.run(
            failingWith(e.data.threadId, e.data.step, true),
            e.data.error,
            e.data.nextRetryAtMs,
            at,
            e.data.threadId,
          );
          step.run(e.data.threadId, position, e.data.step, 'failed', JSON.stringify(e.data), at);
          return;
        case 'DeletionStepWaived': {
          // An operator's decision: the step is settled (no longer failing), shown as waived, by
          // whom and why, when.
          const { threadId, step: key, reason } = e.data;
          if (stepDoneClean.run(at, threadId).changes === 0) {
            const failing = failingWith(threadId, key, false);
            stepDone.run(failing, failing, at, threadId);
          }
          const detail = JSON.stringify({ threadId, step: key, reason, waivedBy: m.actor });
          step.run(threadId, position, key, 'waived', detail, at);
          return;
        }
        case 'ThreadDeleted':
          done.run(at, at, e.data.threadId);
          step.run(e.data.threadId, position, 'complete', 'deleted', JSON.stringify(e.data), at);
          return;
        default: {
          const recorded = stepDoneBy(e);
          if (!recorded) return;
          const { threadId } = e.data as { threadId: string };
          // The common case, no step failing: no need to read and rewrite the failing list.
          if (stepDoneClean.run(at, threadId).changes === 0) {
            const failing = failingWith(threadId, recorded.key, false);
            stepDone.run(failing, failing, at, threadId);
          }
          step.run(threadId, position, recorded.key, recorded.outcome, JSON.stringify(e.data), at);
          return;
        }
      }
    };
  },
};
