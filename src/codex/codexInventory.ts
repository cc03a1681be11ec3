import { closeSync, lstatSync } from 'node:fs';
import { basename } from 'node:path';
import type { ThreadId } from '../domain/ids.js';
import { MAX_FILE_LINE_DEPTH, parseBoundedJson } from '../io/boundedJson.js';
import { firstLineSync } from '../io/fileText.js';
import { openRegularSync } from '../io/regularFile.js';
import { codexDatabasesIn } from './codexDatabases.js';
import type { CodexHome } from './codexHome.js';

export type HomeInventory = {
  readonly home: string;
  readonly rollouts: string[];
  readonly sessionIndexFiles: string[];
  readonly historyFiles: string[];
  readonly databases: string[];
};

/** A rollout's name ends with `<uuid>.jsonl`: tested on those last 42 characters alone, not from every position of the name. */
const UUID_JSONL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;
const TAIL = 36 + '.jsonl'.length;
const nameIdOf = (name: string): string | null =>
  UUID_JSONL.exec(name.slice(-TAIL))?.[1]?.toLowerCase() ?? null;
/** The `session_meta` line is read up to this size; a longer first line names no thread. */
const FIRST_LINE_MAX = 1 << 20;

/** The `payload.id` of a rollout's first line, read without reading the rest of the file. */
const metaIdOf = (path: string): string | null => {
  let fd: number;
  try {
    fd = openRegularSync(path).fd; // a regular file only: never a symlink, a FIFO, a device
  } catch {
    return null;
  }
  try {
    const parsed = parseBoundedJson(firstLineSync(fd, FIRST_LINE_MAX), MAX_FILE_LINE_DEPTH);
    if (!parsed.ok) return null;
    const line = parsed.value as { payload?: { id?: unknown } } | null;
    const id = line?.payload?.id;
    return typeof id === 'string' ? id.toLowerCase() : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
};

/**
 * What each thread left in a Codex home: every rollout that carries its id, by its file name or
 * by its `session_meta` (two rollouts with one id, a file named for one thread that names
 * another), the session index and history files, Codex's databases. The ids of rollouts are
 * cached by path and modification time; the importer, which reads them anyway, fills the cache.
 */
export class CodexInventory {
  private readonly ids = new Map<string, { mtimeMs: number; metaId: string | null }>();

  constructor(private readonly home: CodexHome) {}

  get root(): string {
    return this.home.root;
  }

  /** What the importer read of a rollout: its id, as of this modification time. */
  learn(path: string, mtimeMs: number, metaId: string): void {
    this.ids.set(path, { mtimeMs, metaId: metaId.toLowerCase() });
  }

  async find(threadIds: readonly ThreadId[]): Promise<Map<ThreadId, HomeInventory>> {
    const wanted = new Set<string>(threadIds);
    const rollouts = new Map<string, string[]>(threadIds.map((id) => [id, []]));
    const add = (id: string | null, path: string) => {
      if (id !== null && wanted.has(id) && !rollouts.get(id)!.includes(path))
        rollouts.get(id)!.push(path);
    };
    for (const f of await this.home.listRollouts({ full: true })) {
      add(nameIdOf(basename(f.path)), f.path);
      let known = this.ids.get(f.path);
      if (known?.mtimeMs !== f.mtimeMs) {
        known = { mtimeMs: f.mtimeMs, metaId: metaIdOf(f.path) };
        this.ids.set(f.path, known);
      }
      add(known.metaId, f.path);
    }
    const regular = (p: string) => lstatSync(p, { throwIfNoEntry: false })?.isFile() === true;
    const shared = {
      home: this.home.root,
      sessionIndexFiles: regular(this.home.sessionIndexPath) ? [this.home.sessionIndexPath] : [],
      historyFiles: regular(this.home.historyPath) ? [this.home.historyPath] : [],
      databases: codexDatabasesIn(this.home.root),
    };
    return new Map(threadIds.map((id) => [id, { ...shared, rollouts: rollouts.get(id)! }]));
  }
}
