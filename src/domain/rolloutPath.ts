import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { DomainError } from './errors.js';
import type { ThreadId } from './ids.js';

/** Whether `p` is `root` or lies under it, lexically. Both are absolute and normalized. */
export const isWithin = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** Codex names a thread's rollout `rollout-<timestamp>-<thread id>.jsonl`. */
export const isRolloutFileOf = (fileName: string, threadId: ThreadId): boolean =>
  fileName === `rollout-${threadId}.jsonl` ||
  (fileName.startsWith('rollout-') && fileName.endsWith(`-${threadId}.jsonl`));

/**
 * What a writer may record as a thread's rollout, checked on the text alone (no I/O; the roots are
 * given as data): what the purge would refuse, or could not purge, is refused at the command.
 * The path must be absolute, free of NUL, normalized (so that one file has one spelling), strictly
 * inside one of the rollout roots, and be that thread's own file: its name carries the thread id.
 * What only the file system can say (symlinked folders, the file's type) is the app layer's part.
 */
export const checkRolloutPath = (
  threadId: ThreadId,
  path: string,
  roots: readonly string[],
): E.Either<DomainError, string> => {
  const refuse = (reason: string) =>
    E.left<DomainError, string>({ kind: 'InvalidRolloutPath', threadId, path, reason });
  if (path.includes('\0')) return refuse('must not contain a NUL byte');
  if (!isAbsolute(path)) return refuse('must be an absolute path');
  if (resolve(path) !== path)
    return refuse(
      'must be normalized: no "." or ".." segments, no repeated or trailing separators',
    );
  const inside = roots.map((r) => resolve(r)).some((r) => r !== path && isWithin(r, path));
  if (!inside) return refuse('must be inside the configured rollout roots');
  if (!isRolloutFileOf(basename(path), threadId))
    return refuse(
      `must be the thread's own rollout, a file named rollout-<timestamp>-${threadId}.jsonl`,
    );
  return E.right(path);
};
