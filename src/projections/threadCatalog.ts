import type { StoredEvent } from '../store/eventCodec.js';
import { KeyedRows } from './keyedRows.js';
import { indexToken, type Projection } from './projection.js';

/** A row of the catalog, as folded in memory (see `KeyedRows`). */
type CatalogRow = {
  thread_id: string;
  parent_thread_id: string | null;
  depth: number | null;
  source_kind: string | null;
  created_at: number | null;
  created_by: string | null;
  listed_at: number;
  archived: number;
  status: 'live' | 'deleting' | 'deleted';
  root_thread_id: string | null;
  requested_by: string | null;
  requested_at: number | null;
  reason: string | null;
  deleted_at: number | null;
};

const COLUMNS: readonly (keyof CatalogRow)[] = [
  'thread_id',
  'parent_thread_id',
  'depth',
  'source_kind',
  'created_at',
  'created_by',
  'listed_at',
  'archived',
  'status',
  'root_thread_id',
  'requested_by',
  'requested_at',
  'reason',
  'deleted_at',
];

/** A new row's columns that no event has set yet. */
const UNLISTED = {
  parent_thread_id: null,
  depth: null,
  source_kind: null,
  created_at: null,
  created_by: null,
  archived: 0,
  root_thread_id: null,
  requested_by: null,
  requested_at: null,
  reason: null,
  deleted_at: null,
} as const;

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
    const rows = new KeyedRows<CatalogRow>(db, `thread_catalog${suffix}`, COLUMNS);
    const change = (id: string, f: (row: CatalogRow) => void) => {
      const row = rows.get(id);
      if (row === null) return;
      f(row);
      rows.put(id, row);
    };
    const fold = ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted': {
          const d = e.data;
          // A start over a row there already (tombstoned first) keeps its status and deletion.
          const row = rows.get(d.threadId) ?? {
            ...UNLISTED,
            thread_id: d.threadId,
            status: 'live',
          };
          rows.put(d.threadId, {
            ...row,
            parent_thread_id: d.parentThreadId,
            depth: d.depth,
            source_kind: d.sourceKind,
            created_at: d.createdAtMs,
            created_by: m.actor,
            listed_at: d.createdAtMs,
          });
          return;
        }
        case 'ThreadArchived':
        case 'ThreadUnarchived':
          change(e.data.threadId, (row) => {
            row.archived = e.type === 'ThreadArchived' ? 1 : 0;
          });
          return;
        case 'ThreadDeleteRequested': {
          const { threadId, rootThreadId } = e.data;
          // The request is the root's: a descendant (tombstoned by a worker, maybe) takes its
          // reason and requester. A root missing from the catalog: this tombstone's own.
          const own = { reason: e.data.reason, requested_by: m.actor };
          const root = threadId === rootThreadId ? null : rows.get(rootThreadId);
          const req = root?.requested_by != null ? root : own;
          // A second tombstone of one thread (never written today) replaces the first's facts.
          const row = rows.get(threadId) ?? {
            ...UNLISTED,
            thread_id: threadId,
            listed_at: m.recordedAtMs,
            status: 'deleting',
          };
          rows.put(threadId, {
            ...row,
            status: row.status === 'deleted' ? 'deleted' : 'deleting',
            root_thread_id: rootThreadId,
            requested_by: req.requested_by,
            requested_at: m.recordedAtMs,
            reason: req.reason,
          });
          return;
        }
        case 'ThreadDeleted':
          change(e.data.threadId, (row) => {
            row.status = 'deleted';
            row.deleted_at = m.recordedAtMs;
          });
          return;
        default:
          return;
      }
    };
    // Folded in memory, each row written once at the batch's end.
    return Object.assign(fold, { begin: () => rows.clear(), end: () => rows.flush() });
  },
};
