import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { type SeededDatabases, seedCodexDatabases } from './codexDatabasesFixture.js';
import { type FixtureThread, writeRollout } from './codexHomeFixture.js';

/**
 * A CODEX_HOME laid out for a deletion: a subtree to delete (a root, its spawned children and
 * theirs, one descendant archived) and threads to keep, with everything Codex keeps about each:
 * rollouts, names in `session_index.jsonl`, lines in `history.jsonl` and rows in its five
 * databases. Every piece of text is unique to its thread, so that a byte scan of the home says
 * whose it is.
 */
export type DeletionHome = {
  readonly home: string;
  readonly root: string;
  /** The subtree, root first, then breadth first. */
  readonly subtree: string[];
  /** The threads to keep: a root, a second root, a child of the first, an `exec` root. */
  readonly kept: string[];
  readonly threads: Map<string, FixtureThread>;
  /** Names written to `session_index.jsonl` (renamed twice: both lines are the thread's). */
  readonly names: Map<string, string[]>;
  /** Texts of `history.jsonl` lines, by thread. */
  readonly history: Map<string, string[]>;
  readonly seeded: SeededDatabases;
  /** The archived descendant, or null when the subtree has none. */
  readonly archived: string | null;
  /** Extra files (see `decoys`), with the text each holds alone. */
  readonly decoys: { path: string; text: string; why: string }[];
  /** With decoys: the subtree thread the misnamed rollout is named for, and the kept thread its session_meta names. */
  readonly misnamed: { path: string; namedFor: string; metaOf: string } | null;
};

export type DeletionHomeOptions = {
  /** Threads in the subtree, root included (a tree of the given fan-out, breadth first). */
  readonly subtreeSize?: number;
  readonly fanout?: number;
  /**
   * Also write: a second rollout under another file name whose session_meta carries a subtree
   * thread's id; and a rollout named for a subtree thread whose session_meta names a kept thread.
   */
  readonly decoys?: boolean;
  /**
   * The decoys' day folders sort before the real rollouts' (default: after), so that an import
   * reads them first.
   */
  readonly decoysFirst?: boolean;
};

const BASE = Date.parse('2026-11-20T10:00:00Z');

export const buildDeletionHome = (home: string, opts: DeletionHomeOptions = {}): DeletionHome => {
  const { subtreeSize = 7, fanout = 2, decoys = false, decoysFirst = false } = opts;
  const threads = new Map<string, FixtureThread>();
  let n = 0;
  const add = (parent: string | null, depth: number, source: string, archived: boolean): string => {
    const id = uuidv7();
    const t = {
      id,
      parent,
      depth,
      archived,
      name: null,
      source,
      cwd: `/home/dev/project-${n % 3}`,
      preview: `preview:${id}:please refactor the parser`,
      createdAt: new Date(BASE + ++n * 61_000),
    };
    threads.set(id, { ...t, path: writeRollout(home, t) });
    return id;
  };

  // The subtree, breadth first: node i > 0 hangs under node floor((i - 1) / fanout).
  const subtree: string[] = [];
  const depthOf: number[] = [];
  for (let i = 0; i < subtreeSize; i++) {
    const parentIndex = i === 0 ? null : Math.floor((i - 1) / fanout);
    const depth = parentIndex === null ? 0 : depthOf[parentIndex]! + 1;
    depthOf.push(depth);
    // The last one, a leaf, is archived (as another program may have left it).
    const archived = i > 0 && i === subtreeSize - 1;
    subtree.push(
      add(
        parentIndex === null ? null : subtree[parentIndex]!,
        depth,
        parentIndex === null ? 'cli' : 'subagent',
        archived,
      ),
    );
  }
  const k0 = add(null, 0, 'cli', false);
  const k1 = add(null, 0, 'vscode', false);
  const k2 = add(k0, 1, 'subagent', false);
  const k3 = add(null, 0, 'exec', false);
  const kept = [k0, k1, k2, k3];

  // Names: the root and a child of the subtree, two kept threads; each renamed twice.
  const names = new Map<string, string[]>();
  const index: string[] = [];
  for (const id of [subtree[0]!, subtree[1] ?? subtree[0]!, k0, k1]) {
    const mine = [`first-name:${id}`, `session-name:${id}`];
    names.set(id, mine);
    mine.forEach((name, i) => {
      index.push(
        JSON.stringify({
          id,
          thread_name: name,
          updated_at: new Date(BASE + 3_600_000 + i * 1000).toISOString(),
        }),
      );
    });
  }
  writeFileSync(join(home, 'session_index.jsonl'), `${index.join('\n')}\n`);
  for (const [id, mine] of names) threads.get(id)!.name = mine[mine.length - 1]!;

  // history.jsonl: two lines per thread, interleaved as typed, for both the subtree and the kept.
  const history = new Map<string, string[]>();
  const lines: string[] = [];
  for (const round of [1, 2]) {
    for (const id of [...subtree, ...kept]) {
      const text = `history:${id}:typed-${round}`;
      history.set(id, [...(history.get(id) ?? []), text]);
      lines.push(
        JSON.stringify({ session_id: id, ts: Math.floor(BASE / 1000) + round * 60, text }),
      );
    }
  }
  writeFileSync(join(home, 'history.jsonl'), `${lines.join('\n')}\n`);

  const seeded = seedCodexDatabases(
    home,
    [...threads.values()].map((t) => ({ id: t.id, parent: t.parent, rolloutPath: t.path })),
  );

  const decoyFiles: { path: string; text: string; why: string }[] = [];
  let misnamed: DeletionHome['misnamed'] = null;
  if (decoys) {
    // A second rollout of a subtree thread (a grandchild, or the last one) under a file name
    // that names no thread: it carries the id in its session_meta.
    const target = subtree[Math.min(3, subtree.length - 1)]!;
    const other = uuidv7();
    const at = new Date(BASE + (decoysFirst ? -2 : 2) * 86_400_000);
    const byMeta = writeRollout(home, {
      ...threads.get(target)!,
      id: other,
      preview: `decoy-by-meta:${target}:second copy`,
      createdAt: at,
      archived: false,
    });
    // writeRollout writes the id it is given into session_meta: put the subtree thread's id back.
    rewriteMetaId(byMeta, target);
    decoyFiles.push({
      path: byMeta,
      text: `decoy-by-meta:${target}:second copy`,
      why: `session_meta names subtree thread ${target}`,
    });
    // A rollout named for a subtree thread whose session_meta names a kept root (k1).
    const named = subtree[Math.min(4, subtree.length - 1)]!;
    const at2 = new Date(BASE + (decoysFirst ? -3 : 3) * 86_400_000);
    const byName = writeRollout(home, {
      ...threads.get(k1)!,
      id: named,
      preview: `decoy-by-name:${named}:meta says ${k1}`,
      createdAt: at2,
      archived: false,
    });
    rewriteMetaId(byName, k1);
    misnamed = { path: byName, namedFor: named, metaOf: k1 };
    decoyFiles.push({
      path: byName,
      text: `decoy-by-name:${named}:meta says ${k1}`,
      why: `named for subtree thread ${named}, session_meta names kept ${k1}`,
    });
  }

  return {
    home,
    root: subtree[0]!,
    subtree,
    kept,
    threads,
    names,
    history,
    seeded,
    archived: subtreeSize > 1 ? subtree[subtreeSize - 1]! : null,
    decoys: decoyFiles,
    misnamed,
  };
};

/** Rewrites the `session_meta` id (and nothing else) of a rollout. */
const rewriteMetaId = (path: string, id: string): void => {
  const { mtime } = statSync(path);
  const [first, ...rest] = readFileSync(path, 'utf8').split('\n');
  const meta = JSON.parse(first!) as { payload: { id: string } };
  meta.payload.id = id;
  writeFileSync(path, [JSON.stringify(meta), ...rest].join('\n'));
  utimesSync(path, mtime, mtime);
};

/** Every text of a thread that must be gone once it is deleted: seeded values, names, history, preview. */
export const secretsOf = (h: DeletionHome, id: string): string[] => [
  ...h.seeded.values.get(id)!,
  ...(h.names.get(id) ?? []),
  ...h.history.get(id)!,
  h.threads.get(id)!.preview,
];

/** The values a kept thread must still have: overwritten copies of preview and title excluded. */
export const currentValuesOf = (h: DeletionHome, id: string): string[] => [
  ...h.seeded.values
    .get(id)!
    .filter((v) => !/^threads\.(preview|title):/.test(v) || v.includes('update-2')),
  ...h.history.get(id)!,
  h.threads.get(id)!.preview,
  ...(h.names.get(id) ?? []),
];

/**
 * Every file under a folder (any depth, any kind: WAL and temp files too) whose bytes contain
 * a needle, read once each; needles found -> the files. A file that vanishes mid-scan (a temp
 * file renamed away) is skipped.
 */
export const scanFiles = (root: string, needles: readonly string[]): Map<string, string[]> => {
  const found = new Map<string, string[]>();
  const wanted = needles.map((n) => [n, Buffer.from(n)] as const);
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(p);
        } catch {
          continue;
        }
        for (const [n, b] of wanted)
          if (bytes.includes(b)) found.set(n, [...(found.get(n) ?? []), p]);
      }
    }
  };
  walk(root);
  return found;
};

/** Every file under a folder, relative paths (for a report of what the home holds). */
export const listFiles = (root: string, dir = root): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(root, p) : [p.slice(root.length + 1)];
  });

const THREAD_COLUMNS = ['thread_id', 'parent_thread_id', 'child_thread_id'];

/**
 * Rows per table of one database that belong to any of these threads (`threads` by `id`; any
 * table by `thread_id`, `parent_thread_id` or `child_thread_id`). Tables with none are left out.
 */
export const rowsPerTable = (dbPath: string, ids: readonly string[]): Record<string, number> => {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, number> = {};
    const tables = db
      .prepare<[], { name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
      )
      .all();
    for (const { name } of tables) {
      const cols = db
        .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
        .all(name)
        .map((c) => c.name);
      const where = cols
        .filter((c) => THREAD_COLUMNS.includes(c) || (name === 'threads' && c === 'id'))
        .map((c) => `"${c}" IN (SELECT value FROM json_each(@ids))`);
      if (where.length === 0) continue;
      const { n } = db
        .prepare<{ ids: string }, { n: number }>(
          `SELECT count(*) AS n FROM "${name}" WHERE ${where.join(' OR ')}`,
        )
        .get({ ids: JSON.stringify(ids) })!;
      if (n > 0) out[name] = n;
    }
    return out;
  } finally {
    db.close();
  }
};

export type LoggedEvent = {
  position: number;
  stream: string;
  type: string;
  data: Record<string, unknown>;
};

/** The ledger's log, read from its SQLite file (read-only, closed at once). */
export const readLog = (dataDir: string): LoggedEvent[] => {
  const db = new Database(join(dataDir, 'events.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[], { position: number; stream_id: string; type: string; data: string }>(
        'SELECT position, stream_id, type, data FROM events ORDER BY position',
      )
      .all()
      .map((r) => ({
        position: r.position,
        stream: r.stream_id,
        type: r.type,
        data: JSON.parse(r.data) as Record<string, unknown>,
      }));
  } finally {
    db.close();
  }
};
