import * as E from 'fp-ts/lib/Either.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import type { RolloutPurger } from '../io/rolloutFiles.js';
import type { CommandHandler } from './commandHandler.js';
import type { HandleError } from './handleError.js';

/**
 * Purges a rollout that turned up for a tombstoned thread (one the deletion's own steps do not
 * know) and records it. Confined to the roots like every purge; a path already recorded is done.
 */
export const purgeLateRollout = async (
  parts: { readonly purger: RolloutPurger; readonly commands: CommandHandler },
  threadId: ThreadId,
  path: string,
  ctx: CommandContext,
): Promise<E.Either<HandleError, void>> => {
  const out = await parts.purger.purge(path);
  const r = await parts.commands.handle(
    { type: 'RecordRolloutPurged', result: { threadId, path, ...out } },
    ctx,
  );
  return E.isLeft(r) && r.left.kind !== 'StepAlreadyRecorded' ? r : E.right(undefined);
};
