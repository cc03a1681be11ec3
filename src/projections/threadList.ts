import type { StoredEvent } from '../store/eventCodec.js';
import { indexToken, type Projection } from './projection.js';

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
    const t = `threads${suffix}`;
    // Every change bumps `rev`, a start over a row there already too (it replaces every column).
    const columns =
      'session_id, parent_thread_id, depth, source_kind, cwd, model_provider, originator, cli_version, ' +
      'git_info, rollout_path, preview, name, created_at, updated_at, archived, codex';
    const insert = db.prepare(`INSERT INTO ${t} (thread_id, ${columns}, rev)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0)
      ON CONFLICT (thread_id) DO UPDATE SET
        ${columns
          .split(', ')
          .map((c) => `${c} = excluded.${c}`)
          .join(', ')}, rev = rev + 1`);
    // A thread with a rollout is as recent as its rollout (Codex's updatedAt is the file's mtime,
    // reported by ThreadUpdated); one without is as recent as its last event.
    const bump = `updated_at = CASE WHEN rollout_path IS NULL THEN ? ELSE updated_at END`;
    const rename = db.prepare(
      `UPDATE ${t} SET name = ?, ${bump}, rev = rev + 1 WHERE thread_id = ?`,
    );
    const touch = db.prepare(`UPDATE ${t} SET updated_at = ?, rev = rev + 1 WHERE thread_id = ?`);
    const archive = db.prepare(
      `UPDATE ${t} SET archived = ?, ${bump}, rollout_path = COALESCE(?, rollout_path), rev = rev + 1 WHERE thread_id = ?`,
    );
    const remove = db.prepare(`DELETE FROM ${t} WHERE thread_id = ?`);
    return ({ event: e, metadata: m }: StoredEvent) => {
      switch (e.type) {
        case 'ThreadStarted': {
          const d = e.data;
          insert.run(
            d.threadId,
            d.sessionId,
            d.parentThreadId,
            d.depth,
            d.sourceKind,
            d.cwd,
            d.modelProvider,
            d.originator,
            d.cliVersion,
            d.gitInfo && JSON.stringify(d.gitInfo),
            d.rolloutPath,
            d.preview,
            d.name,
            d.createdAtMs,
            d.updatedAtMs ?? m.recordedAtMs, // an imported rollout's mtime, when its start carries it
            d.codex && JSON.stringify(d.codex),
          );
          return;
        }
        case 'ThreadRenamed':
          rename.run(e.data.name, m.recordedAtMs, e.data.threadId);
          return;
        case 'ThreadUpdated':
          touch.run(e.data.updatedAtMs, e.data.threadId);
          return;
        case 'ThreadArchived':
        case 'ThreadUnarchived':
          archive.run(
            e.type === 'ThreadArchived' ? 1 : 0,
            m.recordedAtMs,
            e.data.rolloutPath,
            e.data.threadId,
          );
          return;
        case 'ThreadDeleteRequested':
          remove.run(e.data.threadId);
          return;
        default:
          return;
      }
    };
  },
};
