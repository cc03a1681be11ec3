import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/errors.js';
import type { ThreadId } from '../domain/ids.js';
import { checkRolloutPath, isWithin } from '../domain/rolloutPath.js';
import { realOrNull, throughNearestFolder } from '../io/realPaths.js';

/** Which live thread records this rollout path now, if any. */
export type RolloutOwner = (path: string) => Promise<string | null>;

/**
 * The rollout path a writer names at a start or a spawn: refused unless the deletion could purge
 * it and it is that thread's file. The domain's check on the text (absolute, no NUL, normalized,
 * inside the roots, named after the thread), then what the file system says: inside the roots
 * through the real path of its nearest existing folder (no symlinked folder leads out), not a
 * symlink nor anything but a regular file if it exists, and not already another live thread's.
 */
export class RolloutPathPolicy {
  private readonly roots: readonly string[];

  constructor(
    roots: readonly string[],
    private readonly ownerOf: RolloutOwner,
  ) {
    this.roots = roots.map((r) => resolve(r));
  }

  async check(threadId: ThreadId, path: string): Promise<E.Either<DomainError, void>> {
    const refuse = (reason: string) =>
      E.left<DomainError, void>({ kind: 'InvalidRolloutPath', threadId, path, reason });
    const lexical = checkRolloutPath(threadId, path, this.roots);
    if (E.isLeft(lexical)) return lexical;
    const real = throughNearestFolder(path);
    // Roots are resolved now, not at start: one may be created (or relinked) after the service starts.
    const realRoots = this.roots.map((r) => realOrNull(r) ?? r);
    if (!realRoots.some((r) => r !== real && isWithin(r, real)))
      return refuse('leads outside the configured rollout roots through a symbolic link');
    const st = lstatSync(real, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) return refuse('is a symbolic link; a rollout must be a regular file');
    if (st && !st.isFile()) return refuse('is not a regular file');
    const owner = await this.ownerOf(path);
    if (owner !== null && owner !== threadId)
      return refuse('is already the rollout of another thread');
    return E.right(undefined);
  }
}
