import { createHash } from 'node:crypto';
import { close, lstatSync, read, readSync, realpathSync, type Stats, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { ConfinedRoot, NotConfinedError } from './confinedPath.js';
import { throughNearestFolder } from './realPaths.js';
import { NotARegularFile, openRegularSync } from './regularFile.js';

const readAsync = promisify(read);
const closeAsync = promisify(close);

export type PurgeOutcome =
  | { outcome: 'removed'; sizeBytes: number; sha256: string }
  | { outcome: 'absent'; sizeBytes: null; sha256: null };

/** A purge that would touch something outside the rollout roots, or not a plain file. */
export class PurgeRefusedError extends Error {
  override readonly name = 'PurgeRefusedError';
}

/** Small files are hashed and removed synchronously: far cheaper than a trip through the thread pool. */
const SYNC_LIMIT = 1 << 20;
const CHUNK = 1 << 20;

/**
 * Removes rollout files, only inside the configured roots. The containing folder is resolved
 * through symlinks before the check; the file itself must be a regular file (a symlink is refused,
 * never followed). Then the folder is opened from its root without following any symlink and held
 * (see `confinedPath.ts`): the file is opened, hashed and removed in that folder, and removed only
 * if its name still holds the file that was hashed, so a folder swapped for a symlink meanwhile
 * cannot send the removal outside the roots. What was removed is remembered by size and SHA-256 only.
 */
export class RolloutPurger {
  private readonly roots: ConfinedRoot[];

  constructor(roots: readonly string[]) {
    if (roots.length === 0) throw new Error('at least one rollout root is required');
    this.roots = roots.map((r) => new ConfinedRoot(r));
  }

  private outside(path: string): PurgeRefusedError {
    return new PurgeRefusedError(
      `refusing ${path}: it is outside the rollout roots (${this.roots.map((r) => r.real).join(', ')})`,
    );
  }

  async purge(path: string): Promise<PurgeOutcome> {
    if (!isAbsolute(path)) throw new PurgeRefusedError(`refusing a relative rollout path: ${path}`);
    const abs = resolve(path);
    let dir: string;
    try {
      dir = realpathSync.native(dirname(abs));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.absentIfInside(abs);
      throw err;
    }
    const target = resolve(dir, basename(abs));
    const root = this.roots.find((r) => r.contains(target));
    if (!root) throw this.outside(path);
    if (target === root.real)
      throw new PurgeRefusedError(`refusing ${path}: it is not a regular file`);
    let held;
    try {
      held = root.openDir(
        relative(root.real, dir)
          .split(sep)
          .filter((c) => c !== ''),
      );
    } catch (err) {
      if (err instanceof NotConfinedError)
        throw new PurgeRefusedError(`refusing ${path}: ${err.message}`);
      throw err;
    }
    if (held === null) return absent(); // its folder went away meanwhile
    try {
      const at = held.at(basename(abs));
      let opened: { fd: number; stat: Stats };
      try {
        opened = openRegularSync(at, { shown: path });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent();
        if (err instanceof NotARegularFile)
          throw new PurgeRefusedError(
            `refusing ${path}: ${err.kind === 'a symbolic link' ? 'it is a symlink, not followed' : 'it is not a regular file'}`,
          );
        throw err;
      }
      const { fd, stat: st } = opened;
      try {
        const hash = createHash('sha256');
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(st.size, 1)));
        for (let pos = 0; ; ) {
          const n =
            st.size <= SYNC_LIMIT
              ? readSync(fd, buf, 0, buf.length, pos)
              : (await readAsync(fd, buf, 0, buf.length, pos)).bytesRead;
          if (n === 0) break;
          hash.update(buf.subarray(0, n));
          pos += n;
        }
        // Removed only if the name, in the folder held, is still the file just hashed.
        const now = lstatSync(at, { throwIfNoEntry: false });
        if (now === undefined) return absent();
        if (now.dev !== st.dev || now.ino !== st.ino) {
          throw new PurgeRefusedError(
            `refusing ${path}: it was replaced while it was read; left for the next attempt`,
          );
        }
        unlinkSync(at);
        return { outcome: 'removed', sizeBytes: st.size, sha256: hash.digest('hex') };
      } finally {
        // The last descriptor of an unlinked file: closing it frees the file, which waits on the
        // file system's journal (2 to 4 ms a file beside the database purges' fsyncs): on the
        // thread pool, the files' closes overlap, and the event loop goes on.
        await closeAsync(fd);
      }
    } finally {
      held.close();
    }
  }

  /** A path whose folder is gone is absent, but only a path inside the roots may say so. */
  private absentIfInside(p: string): PurgeOutcome {
    // Resolve the nearest folder that exists, as the roots were resolved (a symlinked home).
    const real = throughNearestFolder(p);
    if (!this.roots.some((r) => r.contains(real))) throw this.outside(p);
    return absent();
  }
}

const absent = (): PurgeOutcome => ({ outcome: 'absent', sizeBytes: null, sha256: null });
