import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

export type PurgeOutcome =
  | { outcome: 'removed'; sizeBytes: number; sha256: string }
  | { outcome: 'absent'; sizeBytes: null; sha256: null };

/** A purge that would touch something outside the rollout roots, or not a plain file. */
export class PurgeRefusedError extends Error {
  override readonly name = 'PurgeRefusedError';
}

const within = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

const realOrNull = (p: string): string | null => {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
};

const realOrSelf = (p: string): string => realOrNull(p) ?? resolve(p);

/** Small files are hashed and removed synchronously: far cheaper than a trip through the thread pool. */
const SYNC_LIMIT = 1 << 20;

/**
 * Removes rollout files, only inside the configured roots. The containing folder is resolved
 * through symlinks before the check; the file itself must be a regular file (a symlink is refused,
 * never followed). What was removed is remembered by size and SHA-256 only.
 */
export class RolloutPurger {
  private readonly roots: string[];

  constructor(roots: readonly string[]) {
    if (roots.length === 0) throw new Error('at least one rollout root is required');
    this.roots = roots.map(realOrSelf);
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
    if (!this.roots.some((r) => within(r, target))) {
      throw new PurgeRefusedError(`refusing ${path}: it is outside the rollout roots (${this.roots.join(', ')})`);
    }
    const st = lstatSync(target, { throwIfNoEntry: false });
    if (st === undefined) return { outcome: 'absent', sizeBytes: null, sha256: null };
    if (st.isSymbolicLink()) throw new PurgeRefusedError(`refusing ${path}: it is a symlink, not followed`);
    if (!st.isFile()) throw new PurgeRefusedError(`refusing ${path}: it is not a regular file`);
    const hash = createHash('sha256');
    if (st.size <= SYNC_LIMIT) {
      hash.update(readFileSync(target));
      unlinkSync(target);
    } else {
      await pipeline(createReadStream(target), hash);
      await unlink(target);
    }
    return { outcome: 'removed', sizeBytes: st.size, sha256: hash.digest('hex') };
  }

  /** A path whose folder is gone is absent, but only a path inside the roots may say so. */
  private absentIfInside(p: string): PurgeOutcome {
    // Resolve the nearest folder that exists, as the roots were resolved (a symlinked home).
    let dir = dirname(p);
    let rest = basename(p);
    let realDir = realOrNull(dir);
    while (realDir === null && dir !== dirname(dir)) {
      rest = join(basename(dir), rest);
      dir = dirname(dir);
      realDir = realOrNull(dir);
    }
    const real = join(realDir ?? dir, rest);
    if (!this.roots.some((r) => within(r, real))) {
      throw new PurgeRefusedError(`refusing ${p}: it is outside the rollout roots (${this.roots.join(', ')})`);
    }
    return { outcome: 'absent', sizeBytes: null, sha256: null };
  }
}
