import { type Dirent, lstatSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ConfinedRoot,
  type HeldDir,
  type Located,
  locateIn,
  NotConfinedError,
} from '../io/confinedPath.js';

export type RolloutFile = {
  readonly path: string;
  readonly archived: boolean;
  readonly mtimeMs: number;
};

const entries = (dir: string): Dirent[] => {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
};

/**
 * Changes to the home as a watcher saw them (see `codexHomeWatch.ts`): while `healthy`, the quick
 * scan reads only the folders changed since it last looked, instead of listing the whole tree.
 */
export interface HomeChanges {
  readonly healthy: boolean;
  /** The day folders of `sessions/`, sorted. */
  days(): readonly string[];
  /** The folders changed since the last call. */
  takeDirty(): ReadonlySet<string>;
}

const ROLLOUT = /^rollout-(\d{4})-(\d{2})-(\d{2})T.*\.jsonl$/;

/** The layout of a Codex home: where rollouts live, where archived ones go, the session index. */
export class CodexHome {
  readonly root: string;

  /** `sessions/` and `archived_sessions/`: where moves happen, never following a symlink below them. */
  private readonly rolloutRoots: ConfinedRoot[];

  constructor(root: string) {
    this.root = resolve(root);
    this.rolloutRoots = [new ConfinedRoot(this.sessionsDir), new ConfinedRoot(this.archivedDir)];
  }

  get sessionsDir(): string {
    return join(this.root, 'sessions');
  }
  get archivedDir(): string {
    return join(this.root, 'archived_sessions');
  }
  get sessionIndexPath(): string {
    return join(this.root, 'session_index.jsonl');
  }
  /** What the interactive CLI keeps of every message typed, by `session_id`. */
  get historyPath(): string {
    return join(this.root, 'history.jsonl');
  }
  /** Where thread-ledger keeps its own data, unless told otherwise. */
  get defaultDataDir(): string {
    return join(this.root, 'thread-ledger');
  }

  /** Per folder: its mtime when last read, and the rollouts found in it then. */
  private readonly folders = new Map<string, { mtimeMs: number; files: RolloutFile[] }>();

  private changes: HomeChanges | null = null;

  /** From now on, the quick scan asks `changes` what changed, while it is healthy. */
  follow(changes: HomeChanges): void {
    this.changes = changes;
  }

  /**
   * Every rollout: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/rollout-*.jsonl`.
   * `full` reads every folder and stats every rollout. Otherwise (the scan before each
   * `thread/list`) it looks where Codex writes: new day folders, the newest day (where new
   * rollouts appear and live sessions grow), and `archived_sessions/` if its mtime changed. A
   * change Codex makes in an older day folder waits for the next full scan. While a watcher is
   * followed and healthy, the quick scan reads only the folders it saw change, any day included.
   */
  // Synchronous on purpose: a few hundred small syscalls cost far less than as many trips
  // through the thread pool, and the quick scan runs before every `thread/list`.
  async listRollouts(opts: { full?: boolean } = {}): Promise<RolloutFile[]> {
    const full = opts.full === true;
    if (this.changes?.healthy) {
      if (!full) return this.changed(this.changes);
      this.changes.takeDirty(); // every folder is read below
    }
    const days: string[] = [];
    const subdirs = (dir: string) =>
      entries(dir)
        .filter((e) => e.isDirectory())
        .map((e) => join(dir, e.name))
        .sort();
    for (const year of subdirs(this.sessionsDir)) {
      for (const month of subdirs(year)) days.push(...subdirs(month));
    }
    const newest = days[days.length - 1];
    const lists = [
      ...days.map((d) => {
        const known = this.folders.get(d);
        if (!full && d !== newest && known) return known.files;
        return this.folder(d, false, full || d === newest);
      }),
      this.folder(this.archivedDir, true, full),
    ];
    return lists.flat();
  }

  /** The rollouts of every folder, read again where the watcher saw a change (or never read yet). */
  private changed(changes: HomeChanges): RolloutFile[] {
    const dirty = changes.takeDirty();
    const read = (dir: string, archived: boolean) => {
      const known = this.folders.get(dir);
      return known && !dirty.has(dir) ? known.files : this.folder(dir, archived, true);
    };
    return [...changes.days().map((d) => read(d, false)), read(this.archivedDir, true)].flat();
  }

  private folder(dir: string, archived: boolean, full: boolean): RolloutFile[] {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) {
      this.folders.delete(dir);
      return [];
    }
    const known = this.folders.get(dir);
    if (!full && known && known.mtimeMs === st.mtimeMs) return known.files;
    const files: RolloutFile[] = [];
    for (const e of entries(dir)) {
      if (!e.isFile() || !ROLLOUT.test(e.name)) continue;
      const path = join(dir, e.name);
      const fst = statSync(path, { throwIfNoEntry: false });
      if (fst) files.push({ path, archived, mtimeMs: Math.floor(fst.mtimeMs) });
    }
    this.folders.set(dir, { mtimeMs: st.mtimeMs, files });
    return files;
  }

  /** Where a rollout goes when archived: flat in `archived_sessions/`. */
  archivedPathOf(path: string): string {
    return join(this.archivedDir, basename(path));
  }

  /** Where a rollout goes back when unarchived: the dated folder its name says. */
  activePathOf(path: string): string {
    const m = ROLLOUT.exec(basename(path));
    if (!m) throw new Error(`not a rollout file name: ${basename(path)}`);
    return join(this.sessionsDir, m[1]!, m[2]!, m[3]!, basename(path));
  }

  isArchivedPath(path: string): boolean {
    return dirname(resolve(path)) === this.archivedDir;
  }

  /**
   * Moves a rollout (and its `.zst` sibling, if any), as Codex's archive and unarchive do: both
   * ends must be inside `sessions/` or `archived_sessions/`. Both folders are opened from their
   * root and held (missing ones made inside the held folders), never following a symlink, and the
   * rename happens between the two folders held (see `confinedPath.ts`): a folder swapped for a
   * symlink meanwhile is refused, never moved into or out of.
   */
  async move(from: string, to: string): Promise<void> {
    if (from === to) return;
    const src = this.locate(from, 'move');
    const dst = this.locate(to, 'move to');
    const held: HeldDir[] = [];
    try {
      const absent = () =>
        Object.assign(new Error(`ENOENT: no such file or directory, rename '${from}' -> '${to}'`), {
          code: 'ENOENT',
        });
      const a = this.open(src, false, from);
      if (a === null) throw absent();
      held.push(a);
      const b = this.open(dst, true, to);
      if (b === null) throw absent(); // the home itself went away
      held.push(b);
      renameSync(a.at(src.name), b.at(dst.name));
      if (lstatSync(a.at(`${src.name}.zst`), { throwIfNoEntry: false }))
        renameSync(a.at(`${src.name}.zst`), b.at(`${dst.name}.zst`));
    } finally {
      for (const h of held) h.close();
    }
  }

  private locate(path: string, what: string): Located {
    const l = locateIn(this.rolloutRoots, path);
    if (!l)
      throw new Error(
        `refusing to ${what} ${path}: it is outside ${this.sessionsDir} and ${this.archivedDir}`,
      );
    return l;
  }

  private open(l: Located, create: boolean, path: string): HeldDir | null {
    try {
      return l.root.openDir(l.dir, { create });
    } catch (err) {
      throw err instanceof NotConfinedError
        ? new Error(`refusing to move ${path}: ${err.message}`)
        : err;
    }
  }
}
