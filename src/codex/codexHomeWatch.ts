import { type FSWatcher, watch as fsWatch, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CodexHome, HomeChanges } from './codexHome.js';

/**
 * What a watched folder is: the home itself, `sessions/` and its year and month folders (their
 * children are folders), a day folder or `archived_sessions/` (their children are rollouts).
 */
type Level = 'home' | 'sessions' | 'year' | 'month' | 'day' | 'archived';
const CHILD: Partial<Record<Level, Level>> = { sessions: 'year', year: 'month', month: 'day' };

/**
 * Only these entries of the home matter; its databases and their -wal change all the time.
 * `config.toml` counts apart (`configGeneration`): an edit to it is no reason to import.
 */
const HOME_ENTRIES: Record<string, Level | null> = {
  sessions: 'sessions',
  archived_sessions: 'archived',
  'session_index.jsonl': null,
  'config.toml': null,
};
const CONFIG = 'config.toml';

/**
 * Resolves once the event loop has polled for I/O after this call: the inotify events already
 * queued in the kernel have been delivered then. So a change made before a request was sent is
 * seen by its handler, even when the request's bytes and the change's event are read in the same
 * poll. Two turns (setImmediate twice, microseconds): called from an I/O callback, the first
 * immediate runs before the loop polls again.
 */
export const eventsSeen = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** The level of an entry of the home that matters (null: a file), undefined for any other. */
const homeEntry = (name: string): Level | null | undefined =>
  Object.hasOwn(HOME_ENTRIES, name) ? HOME_ENTRIES[name] : undefined;

type Watched = { readonly watcher: FSWatcher; readonly level: Level; readonly ino: number };

export type WatchFn = (
  dir: string,
  listener: (event: string, name: string | null) => void,
) => FSWatcher;

const watchFolder: WatchFn = (dir, listener) =>
  fsWatch(dir, { persistent: false, encoding: 'utf8' }, (event, name) => listener(event, name));

/** The inode of a real folder (never a symlink's target), or null. */
const folderIno = (path: string): number | null => {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st?.isDirectory() ? st.ino : null;
};

/**
 * Watches a Codex home with inotify (`fs.watch`), one watch per folder: the home (for
 * `sessions/`, `archived_sessions/` and `session_index.jsonl`), `sessions/YYYY/MM/DD/` and
 * `archived_sessions/`. Node 20's `recursive` is not used: on Linux it walks the tree in JS and
 * adds a watch for every file as well (10,000 rollouts, 10,000 watches).
 *
 * Every change bumps `generation` and marks its folder dirty; new folders are watched as they
 * appear (and marked dirty: files may have landed before the watch), deleted ones dropped, a
 * folder replaced (another inode) watched anew. Symlinks are never watched, so nothing outside the
 * home is. When a watch cannot be added (ENOSPC: the inotify watch limit) or a watcher fails, every
 * watch is closed and `healthy` turns false for good: callers scan instead, `onBroken` says why once.
 */
export class CodexHomeWatch implements HomeChanges {
  /** Bumped by every change seen to rollouts and the session index; compared, never read for its value. */
  generation = 0;
  /** Bumped by every change seen to `config.toml`. */
  configGeneration = 0;
  private readonly watched = new Map<string, Watched>();
  private readonly dirty = new Set<string>();
  private sortedDays: string[] | null = null;
  private brokenBy: string | null = null;
  private closed = false;

  constructor(
    private readonly home: CodexHome,
    private readonly opts: { onBroken?: (why: string) => void; watch?: WatchFn } = {},
  ) {}

  /** Starts watching; false (and `onBroken` called) when the home cannot be watched. */
  start(): boolean {
    this.guard(() => {
      this.add(this.home.root, 'home');
      for (const name of Object.keys(HOME_ENTRIES)) this.sync(this.home.root, 'home', name);
    });
    return this.healthy;
  }

  get healthy(): boolean {
    return this.brokenBy === null && !this.closed && this.watched.has(this.home.root);
  }

  /** The day folders watched, sorted (oldest first). */
  days(): readonly string[] {
    this.sortedDays ??= [...this.watched]
      .filter(([, w]) => w.level === 'day')
      .map(([d]) => d)
      .sort();
    return this.sortedDays;
  }

  /** The folders changed since the last call (their rollouts may have come, gone or grown). */
  takeDirty(): ReadonlySet<string> {
    const taken = new Set(this.dirty);
    this.dirty.clear();
    return taken;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watched.values()) w.watcher.close();
    this.watched.clear();
    this.dirty.clear();
    this.sortedDays = null;
  }

  private add(dir: string, level: Level): void {
    const ino = folderIno(dir);
    if (ino === null) return; // gone, or a symlink: not watched
    const watcher = (this.opts.watch ?? watchFolder)(dir, (_event, name) =>
      this.guard(() => this.changed(dir, level, name)),
    );
    watcher.on('error', (err: Error) => this.break(`${dir}: ${err.message}`));
    // Swapped (for a symlink, say) between the check and the watch: not watched. The swap is an
    // event in the parent folder, which looks again at what is there then.
    if (folderIno(dir) !== ino) {
      watcher.close();
      return;
    }
    this.watched.set(dir, { watcher, level, ino });
    this.dirty.add(dir);
    this.sortedDays = null;
    if (CHILD[level]) for (const name of this.names(dir)) this.sync(dir, level, name);
  }

  private remove(dir: string): void {
    for (const [d, w] of this.watched) {
      if (d === dir || d.startsWith(`${dir}/`)) {
        w.watcher.close();
        this.watched.delete(d);
        this.dirty.add(d);
      }
    }
    this.sortedDays = null;
  }

  /** `name` in `dir` changed: watch it if it is (now) a folder this layout has, drop it if not. */
  private sync(dir: string, level: Level, name: string): void {
    const childLevel = level === 'home' ? homeEntry(name) : CHILD[level];
    if (!childLevel) return;
    const path = join(dir, name);
    const ino = folderIno(path);
    const known = this.watched.get(path);
    if (known && known.ino === ino) return;
    if (known) this.remove(path);
    if (ino !== null) this.add(path, childLevel);
  }

  private changed(dir: string, level: Level, name: string | null): void {
    if (this.closed || this.brokenBy !== null) return;
    if (level === 'home' && name !== null && homeEntry(name) === undefined) return;
    if (level !== 'home' || name !== CONFIG) this.generation++;
    if (level === 'home' && (name === null || name === CONFIG)) this.configGeneration++;
    this.dirty.add(dir);
    if (level === 'day' || level === 'archived') return;
    // No name (libuv did not say which entry): look at every entry of the folder.
    for (const n of name === null ? this.names(dir) : [name]) this.sync(dir, level, n);
  }

  private names(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.break((err as Error).message);
    }
  }

  private break(why: string): void {
    if (this.brokenBy !== null || this.closed) return;
    this.brokenBy = why;
    this.generation++;
    this.configGeneration++;
    for (const w of this.watched.values()) w.watcher.close();
    this.watched.clear();
    this.opts.onBroken?.(why);
  }
}
