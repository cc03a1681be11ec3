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
 * The path with its nearest existing folder resolved through symlinks, the rest as written: how
 * a path that does not exist (yet, or any more) is judged against roots resolved the same way.
 */
export const throughNearestFolder = (p: string): string => {
  let dir = dirname(p);
  let rest = basename(p);
  let real = realOrNull(dir);
  while (real === null && dir !== dirname(dir)) {
    rest = join(basename(dir), rest);
    dir = dirname(dir);
    real = realOrNull(dir);
  }
  return join(real ?? dir, rest);
};
