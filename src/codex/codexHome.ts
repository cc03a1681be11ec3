import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export type RolloutFile = { readonly path: string; readonly archived: boolean; readonly mtimeMs: number };

const ROLLOUT = /^rollout-(\d{4})-(\d{2})-(\d{2})T.*\.jsonl$/;

/** The layout of a Codex home: where rollouts live, where archived ones go, the session index. */
export class CodexHome {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
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
  /** Where thread-ledger keeps its own data, unless told otherwise. */
  get defaultDataDir(): string {
    return join(this.root, 'thread-ledger');
  }

  /** Per folder: its mtime when last read, and the rollouts found in it then. */
  private readonly folders = new Map<string, { mtimeMs: number; files: RolloutFile[] }>();

  /**
   * Every rollout: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/rollout-*.jsonl`.
   * A folder whose modification time has not changed since the last call is not read again (a new
   * or moved rollout changes it); only the newest day's rollouts, where Codex appends to live
   * sessions, are looked at each time. `full` reads everything.
   */
  async listRollouts(opts: { full?: boolean } = {}): Promise<RolloutFile[]> {
    const days: string[] = [];
    const subdirs = async (dir: string) =>
      (await readdir(dir, { withFileTypes: true }).catch(() => []))
        .filter((e) => e.isDirectory())
        .map((e) => join(dir, e.name))
        .sort();
    for (const year of await subdirs(this.sessionsDir)) {
      for (const month of await subdirs(year)) days.push(...(await subdirs(month)));
    }
    const newest = days[days.length - 1];
    const lists = await Promise.all([
      ...days.map((d) => this.folder(d, false, opts.full === true || d === newest)),
      this.folder(this.archivedDir, true, opts.full === true),
    ]);
    return lists.flat();
  }

  private async folder(dir: string, archived: boolean, full: boolean): Promise<RolloutFile[]> {
    const st = await stat(dir).catch(() => null);
    if (!st) return [];
    const known = this.folders.get(dir);
    if (!full && known && known.mtimeMs === st.mtimeMs) return known.files;
    const files: RolloutFile[] = [];
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isFile() || !ROLLOUT.test(e.name)) continue;
      const path = join(dir, e.name);
      const fst = await stat(path).catch(() => null);
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

  /** Moves a rollout (and its `.zst` sibling, if any), as Codex's archive and unarchive do. */
  async move(from: string, to: string): Promise<void> {
    if (from === to) return;
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
    if (existsSync(`${from}.zst`)) await rename(`${from}.zst`, `${to}.zst`);
  }
}
