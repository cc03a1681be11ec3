import type { StoredEvent } from '../store/eventCodec.js';
import { indexToken, type Projection } from './projection.js';

type Requester = { reason: string | null; requested_by: string };

/**
 * The audit's catalog of threads: one row per thread ever started or tombstoned, with what an
 * auditor may see after a deletion and nothing of its content (no name, preview, cwd, rollout
 * path): where it sits in the spawn graph, its kind, who started it and when, and its deletion.
 * The rows stay after the deletion, so the catalog answers "which threads were there" for good.
 *
 * A descendant's deletion carries its request's reason and requester (the root's), as the
 * deletion records do; `requested_at` is this thread's own tombstone. A thread tombstoned before
 * it was ever started (a spawned child whose start never came) has no start facts: `listed_at`,
 * the catalog's order, is then its tombstone's time.
 */
export const threadCatalogProjection: Projection = {
  name: 'thread_catalog',
  tables: ['thread_catalog'],
  schema(suffix) {
    return `
      CREATE TABLE IF NOT EXISTS thread_catalog${suffix} (
        thread_id        TEXT PRIMARY KEY,
        parent_thread_id TEXT,
        depth            INTEGER,
        source_kind      TEXT,
        created_at       INTEGER,
        created_by       TEXT,               -- the actor of ThreadStarted
        listed_at        INTEGER NOT NULL,   -- created_at, or the tombstone's time if never started
        archived         INTEGER NOT NULL DEFAULT 0,
        status           TEXT NOT NULL,      -- live | deleting | deleted
        root_thread_id   TEXT,               -- the deletion's request (its root), once tombstoned
        requested_by     TEXT,
        requested_at     INTEGER,
        reason           TEXT,
        deleted_at       INTEGER
      ) WITHOUT ROWID;`;
  },
  indexes(suffix) {
    const t = `thread_catalog${suffix}`;
    const k = indexToken();
    // The keyset (newest first), alone or after an equality filter; the two actors of `actor`.
    return `
      CREATE INDEX IF NOT EXISTS ${t}_listed_${k} ON ${t} (listed_at, thread_id);
      CREATE INDEX IF NOT EXISTS ${t}_status_${k} ON ${t} (status, listed_at, thread_id);
      CREATE INDEX IF NOT EXISTS ${t}_creator_${k} ON ${t} (created_by, listed_at, thread_id);
      CREATE INDEX IF NOT EXISTS ${t}_requester_${k} ON ${t} (requested_by, listed_at, thread_id);`;
  },
  handler(db, suffix) {
    const t = `thread_catalog${suffix}`;
    const started = db.prepare(`INSERT INTO ${t}
      (thread_id, parent_thread_id, depth, source_kind, created_at, created_by, listed_at, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'live')
      ON CONFLICT (thread_id) DO UPDATE SET parent_thread_id = excluded.parent_thread_id,
        depth = excluded.depth, source_kind = excluded.source_kind, created_at = excluded.created_at,
        created_by = excluded.created_by, listed_at = excluded.listed_at`);
    const archived = db.prepare(`UPDATE ${t} SET archived = ? WHERE thread_id = ?`);
    const requester = db.prepare<[string], Requester>(
      `SELECT reason, requested_by FROM ${t} WHERE thread_id = ? AND requested_by IS NOT NULL`,
    );
    // A second tombstone of one thread (never written today) replaces the first's facts.
    const tombstoned = db.prepare(`INSERT INTO ${t}
      (thread_id, listed_at, status, root_thread_id, requested_by, requested_at, reason)
      VALUES (@id, @at, 'deleting', @root, @by, @at, @reason)
      ON CONFLICT (thread_id) DO UPDATE SET
        status = CASE WHEN status = 'deleted' THEN status ELSE 'deleting' END,
        root_thread_id = @root, requested_by = @by, requested_at = @at, reason = @reason`);
    const deleted = db.prepare(
      `UPDATE ${t} SET status = 'deleted', deleted_at = ? WHERE thread_id = ?`,
    );
    return ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted': {
          const d = e.data;
          started.run(
            d.threadId,
            d.parentThreadId,
            d.depth,
            d.sourceKind,
            d.createdAtMs,
            m.actor,
            d.createdAtMs,
          );
          return;
        }
        case 'ThreadArchived':
        case 'ThreadUnarchived':
          archived.run(e.type === 'ThreadArchived' ? 1 : 0, e.data.threadId);
          return;
        case 'ThreadDeleteRequested': {
          const { threadId, rootThreadId } = e.data;
          // The request is the root's: a descendant (tombstoned by a worker, maybe) takes its
          // reason and requester. A root missing from the catalog: this tombstone's own.
          const own = { reason: e.data.reason, requested_by: m.actor };
          const req = threadId === rootThreadId ? own : (requester.get(rootThreadId) ?? own);
          tombstoned.run({
            id: threadId,
            at: m.recordedAtMs,
            root: rootThreadId,
            by: req.requested_by,
            reason: req.reason,
          });
          return;
        }
        case 'ThreadDeleted':
          deleted.run(m.recordedAtMs, e.data.threadId);
          return;
        default:
          return;
      }
    };
  },
};
