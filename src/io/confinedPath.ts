import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { nearestReal } from './realPaths.js';

/**
 * A folder inside a root, held open: the one place where thread-ledger decides which file a name
 * means before it removes, moves, writes or creates one in a Codex home.
 *
 * The root is configured (and trusted); everything below it may change at any moment, a folder
 * swapped for a symlink included. So a folder is never reached through its path more than once:
 * from the root, each component is opened as a directory (O_DIRECTORY | O_NOFOLLOW) relative to
 * the folder opened before it, through `/proc/self/fd/<fd>/<component>`. The kernel resolves
 * `/proc/self/fd/<fd>` to exactly the directory that descriptor holds, not to whatever its path
 * names now; a symlink on the way is refused, never followed. The file itself is then named the
 * same way (`/proc/self/fd/<fd>/<name>`), so an unlink, rename or create lands in the folder that
 * was checked, wherever a swap has sent its path meanwhile.
 *
 * Where `/proc/self/fd` is not there (not Linux), the same walk runs on paths: each component is
 * still opened without following a symlink, but a swap between the checks and the operation is
 * not ruled out.
 */

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

const probe = (): boolean => {
  if (process.platform !== 'linux') return false;
  try {
    const fd = openSync('/', DIR_FLAGS);
    try {
      const held = fstatSync(fd);
      const named = statSync(`/proc/self/fd/${fd}/.`);
      return held.dev === named.dev && held.ino === named.ino;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
};

let heldFolders = probe();

/** How names are resolved here: in folders held open (Linux), or on paths re-checked (elsewhere). */
export const confinementMode = (): 'held-folders' | 'path-checks' =>
  heldFolders ? 'held-folders' : 'path-checks';

/** For tests: run as on a system without `/proc/self/fd`, or back. */
export const usePathChecksForTests = (on: boolean): void => {
  heldFolders = on ? false : probe();
};

/** A folder on the way is a symlink or not a folder (perhaps swapped meanwhile): it is not followed. */
export class NotConfinedError extends Error {
  override readonly name = 'NotConfinedError';
  constructor(readonly path: string) {
    super(`${path} is a symlink or not a folder: not followed`);
  }
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

const checkName = (name: string): string => {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`not a plain file or folder name: ${JSON.stringify(name)}`);
  }
  return name;
};

/** A folder held open. `at(name)` names an entry of this very folder; close it when done. */
export class HeldDir {
  private fd: number | null;

  constructor(
    /** Where the folder was when it was opened (for messages). */
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** A path the kernel resolves in the folder held: never through the folder's path again (held folders). */
  at(name: string): string {
    if (this.fd === null) throw new Error(`${this.path}: the folder is closed`);
    return heldFolders
      ? `/proc/self/fd/${this.fd}/${checkName(name)}`
      : join(this.path, checkName(name));
  }

  /** The names in the folder held. */
  entries(): string[] {
    if (this.fd === null) throw new Error(`${this.path}: the folder is closed`);
    return readdirSync(heldFolders ? `/proc/self/fd/${this.fd}` : this.path);
  }

  /** Makes the folder's entries (a rename, a new file) durable. */
  fsync(): void {
    if (this.fd === null) throw new Error(`${this.path}: the folder is closed`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}

const openDirAt = (at: string, shown: string): number | null => {
  try {
    return openSync(at, DIR_FLAGS);
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR' || code === 'ELOOP') throw new NotConfinedError(shown);
    throw err;
  }
};

/**
 * For a file that a library opens by its name (SQLite): whether this process now holds open the
 * very file that was checked before (`checked`: its lstat), so the open did not follow a symlink
 * swapped in meanwhile. Call it after the open and before anything is written. Answered from
 * `/proc/self/fd`; without it (not Linux), true: the check before the open is all there is.
 */
export const holdsOpen = (checked: { dev: number; ino: number }): boolean => {
  if (!heldFolders) return true;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const st = statSync(`/proc/self/fd/${fd}`);
      if (st.dev === checked.dev && st.ino === checked.ino) return true;
    } catch {} // closed meanwhile, or the listing's own descriptor
  }
  return false;
};

/** Where a path is below a root: the folders on the way and its name. */
export type Located = {
  readonly root: ConfinedRoot;
  readonly dir: readonly string[];
  readonly name: string;
};

const componentsBelow = (root: string, p: string): string[] | null => {
  const rel = relative(root, p);
  if (rel === '') return [];
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep);
};

/**
 * A configured root: its real path is fixed when it is constructed (resolved through symlinks as
 * far as it exists then; a part created later is walked like any folder below it, never followed).
 */
export class ConfinedRoot {
  /** The path as configured, made absolute. */
  readonly configured: string;
  private readonly base: string;
  private readonly rest: readonly string[];

  constructor(path: string) {
    this.configured = resolve(path);
    const r = nearestReal(this.configured);
    this.base = r.base;
    this.rest = r.rest;
  }

  /** The root's real path. */
  get real(): string {
    return join(this.base, ...this.rest);
  }

  /** Whether `p` (absolute, already resolved) is the root or below it. */
  contains(p: string): boolean {
    return componentsBelow(this.real, p) !== null;
  }

  /** Where `path` is below this root, by its configured or its real path; null when it is not below it. */
  locate(path: string): Located | null {
    const abs = resolve(path);
    const parts = componentsBelow(this.configured, abs) ?? componentsBelow(this.real, abs);
    if (parts === null || parts.length === 0) return null;
    return { root: this, dir: parts.slice(0, -1), name: parts[parts.length - 1]! };
  }

  /**
   * Opens the folder `dir` (names below the root; [] for the root), each component without
   * following a symlink. Null when a component does not exist (with `create`, missing folders are
   * made, inside the folder held). Throws `NotConfinedError` for a component that is a symlink or
   * not a folder.
   */
  openDir(dir: readonly string[], opts: { create?: boolean } = {}): HeldDir | null {
    let path = this.base;
    let fd = openDirAt(this.base, this.base);
    if (fd === null) return null;
    try {
      for (const name of [...this.rest, ...dir]) {
        path = join(path, checkName(name));
        const at = heldFolders ? `/proc/self/fd/${fd}/${name}` : path;
        if (opts.create) {
          try {
            mkdirSync(at, 0o777);
          } catch (err) {
            if (errno(err) !== 'EEXIST') throw err;
          }
        }
        const next = openDirAt(at, path);
        closeSync(fd);
        fd = next;
        if (fd === null) return null;
      }
      const held = new HeldDir(path, fd);
      fd = null;
      return held;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
}

/** The first of `roots` that `path` is below, or null. */
export const locateIn = (roots: readonly ConfinedRoot[], path: string): Located | null => {
  for (const r of roots) {
    const l = r.locate(path);
    if (l) return l;
  }
  return null;
};
