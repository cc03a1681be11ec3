import * as E from 'fp-ts/lib/Either.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import type { CommandHandler } from './commandHandler.js';
import type { HandleError } from './handleError.js';
import { type Changed, changed } from './threadLifecycle.js';

/**
 * An operator's decision on a purge step that can never succeed: `step` (its key, as the deletion
 * record shows it) is settled without being done, for `reason`; the actor of `ctx` is recorded as
 * who decided. The deletion worker then completes the deletion without it. Nothing else is waived:
 * only a planned step of a deletion under way that is not done yet.
 */
export const waiveStep = async (
  commands: CommandHandler,
  threadId: ThreadId,
  step: string,
  reason: string,
  ctx: CommandContext,
): Promise<E.Either<HandleError, Changed>> => {
  const r = await commands.handle({ type: 'WaiveDeletionStep', threadId, step, reason }, ctx);
  return E.map(changed(threadId))(r);
};
