import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The path resolved through symlinks, or null when it does not exist (or cannot be read). */
export const realOrNull = (p: string): string | null => {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
};

/**
 * The real path of `p`'s nearest existing ancestor (itself if it exists), and the names below it
 * as written: how a path that does not exist (yet, or any more) is resolved as far as it can be.
 */
export const nearestReal = (p: string): { base: string; rest: string[] } => {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    const real = realOrNull(dir);
    if (real !== null) return { base: real, rest };
    if (dir === dirname(dir)) return { base: dir, rest };
    rest.unshift(basename(dir));
    dir = dirname(dir);
  }
};

/**
 * The path with its nearest existing folder resolved through symlinks, the rest as written (the
 * last name too, even if it is a symlink): how a path is judged against roots resolved the same way.
 */
export const throughNearestFolder = (p: string): string => {
  const { base, rest } = nearestReal(dirname(p));
  return join(base, ...rest, basename(p));
};
