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

  /** Every rollout: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/rollout-*.jsonl`. */
  async listRollouts(): Promise<RolloutFile[]> {
    const out: RolloutFile[] = [];
    const files = async (dir: string, archived: boolean) => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (!e.isFile() || !ROLLOUT.test(e.name)) continue;
        const path = join(dir, e.name);
        const st = await stat(path).catch(() => null);
        if (st) out.push({ path, archived, mtimeMs: Math.floor(st.mtimeMs) });
      }
    };
    const subdirs = async (dir: string) =>
      (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
    for (const year of await subdirs(this.sessionsDir)) {
      for (const month of await subdirs(year)) {
        await Promise.all((await subdirs(month)).map((day) => files(day, false)));
      }
    }
    await files(this.archivedDir, true);
    return out;
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
