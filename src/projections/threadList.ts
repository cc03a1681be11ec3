import type { StoredEvent } from '../store/eventCodec.js';
import { KeyedRows } from './keyedRows.js';
import { indexToken, type Projection } from './projection.js';

/** A row of `threads`, as folded in memory (see `KeyedRows`). */
type ThreadRow = {
  thread_id: string;
  session_id: string;
  parent_thread_id: string | null;
  depth: number;
  source_kind: string;
  cwd: string;
  model_provider: string;
  originator: string | null;
  cli_version: string | null;
  git_info: string | null;
  rollout_path: string | null;
  preview: string | null;
  name: string | null;
  created_at: number;
  updated_at: number;
  archived: number;
  codex: string | null;
  rev: number;
};

const COLUMNS: readonly (keyof ThreadRow)[] = [
  'thread_id',
  'session_id',
  'parent_thread_id',
  'depth',
  'source_kind',
  'cwd',
  'model_provider',
  'originator',
  'cli_version',
  'git_info',
  'rollout_path',
  'preview',
  'name',
  'created_at',
  'updated_at',
  'archived',
  'codex',
  'rev',
];

/** The thread list: one row per visible thread. A tombstone removes the row at once. */
export const threadListProjection: Projection = {
  name: 'thread_list',
  // 2: `rev`, and indexes that cover a list's filters.
  version: 2,
  tables: ['threads'],
  schema(suffix) {
    const t = `threads${suffix}`;
    return `
      CREATE TABLE IF NOT EXISTS ${t} (
        thread_id        TEXT PRIMARY KEY,
        session_id       TEXT NOT NULL,
        parent_thread_id TEXT,
        depth            INTEGER NOT NULL,
        source_kind      TEXT NOT NULL,
        cwd              TEXT NOT NULL,
        model_provider   TEXT NOT NULL,
        originator       TEXT,
        cli_version      TEXT,
        git_info         TEXT,
        rollout_path     TEXT,
        preview          TEXT,
        name             TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        archived         INTEGER NOT NULL DEFAULT 0,
        codex            TEXT,             -- the Codex metadata (source, fork, agent), as JSON
        rev              INTEGER NOT NULL  -- counts the row's changes: a row's id and rev name its content
      ) WITHOUT ROWID;`;
  },
  indexes(suffix) {
    const t = `threads${suffix}`;
    const k = indexToken();
    // A page of a list is found in the index alone, filtered by source and provider, and named by id
    // and rev (the app-server keeps each thread's answer by them): no row of the table is read.
    const covered = 'source_kind, model_provider, rev';
    return `
      CREATE INDEX IF NOT EXISTS ${t}_created_${k} ON ${t} (archived, created_at, thread_id, ${covered});
      CREATE INDEX IF NOT EXISTS ${t}_updated_${k} ON ${t} (archived, updated_at, thread_id, ${covered});`;
  },
  handler(db, suffix) {
    const rows = new KeyedRows<ThreadRow>(db, `threads${suffix}`, COLUMNS);
    // Every change bumps `rev`, a start over a row there already too (it replaces every column).
    const change = (id: string, f: (row: ThreadRow) => void) => {
      const row = rows.get(id);
      if (row === null) return;
      f(row);
      row.rev++;
      rows.put(id, row);
    };
    // A thread with a rollout is as recent as its rollout (Codex's updatedAt is the file's mtime,
    // reported by ThreadUpdated); one without is as recent as its last event.
    const bump = (row: ThreadRow, at: number) => {
      if (row.rollout_path === null) row.updated_at = at;
    };
    const fold = ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted': {
          const d = e.data;
          const before = rows.get(d.threadId);
          rows.put(d.threadId, {
            thread_id: d.threadId,
            session_id: d.sessionId,
            parent_thread_id: d.parentThreadId,
            depth: d.depth,
            source_kind: d.sourceKind,
            cwd: d.cwd,
            model_provider: d.modelProvider,
            originator: d.originator,
            cli_version: d.cliVersion,
            git_info: d.gitInfo && JSON.stringify(d.gitInfo),
            rollout_path: d.rolloutPath,
            preview: d.preview,
            name: d.name,
            created_at: d.createdAtMs,
            updated_at: d.updatedAtMs ?? m.recordedAtMs, // an imported rollout's mtime, when its start carries it
            archived: 0,
            codex: d.codex && JSON.stringify(d.codex),
            rev: before === null ? 0 : before.rev + 1,
          });
          return;
        }
        case 'ThreadRenamed':
          change(e.data.threadId, (row) => {
            row.name = e.data.name;
            bump(row, m.recordedAtMs);
          });
          return;
        case 'ThreadUpdated':
          change(e.data.threadId, (row) => {
            row.updated_at = e.data.updatedAtMs;
          });
          return;
        case 'ThreadArchived':
        case 'ThreadUnarchived':
          change(e.data.threadId, (row) => {
            row.archived = e.type === 'ThreadArchived' ? 1 : 0;
            bump(row, m.recordedAtMs);
            row.rollout_path = e.data.rolloutPath ?? row.rollout_path;
          });
          return;
        case 'ThreadDeleteRequested':
          rows.delete(e.data.threadId);
          return;
        default:
          return;
      }
    };
    // Folded in memory, each row written once at the batch's end.
    return Object.assign(fold, { begin: () => rows.clear(), end: () => rows.flush() });
  },
};
