import type * as E from 'fp-ts/lib/Either.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { isChildOf } from '../domain/threadState.js';
import type { CommandHandler, Handled } from './commandHandler.js';
import type { HandleError } from './handleError.js';
import type { Loaded } from './threadRepository.js';

/** A thread below a tombstoned one, and the deletion it belongs to. */
export type Descendant = {
  readonly child: ThreadId;
  readonly parent: ThreadId;
  readonly rootThreadId: ThreadId;
};

/**
 * The one step of a delete cascade: tombstones `child` of the tombstoned `parent`, as part of the
 * deletion of `rootThreadId`. Taken by the delete itself, by the worker finishing a cascade a crash
 * stopped, and by the importer meeting a subagent of a deleted thread. An edge to a thread that was
 * started under another parent is not a child of this one: null, nothing written. `known`: the
 * child's stream as the caller just read it.
 */
export const tombstoneDescendant = async (
  commands: CommandHandler,
  { child, parent, rootThreadId }: Descendant,
  ctx: CommandContext,
  known?: Loaded,
): Promise<E.Either<HandleError, Handled> | null> => {
  const loaded = known ?? (await commands.repo.load(child));
  if (!isChildOf(loaded.state, parent)) return null;
  return commands.handle({ type: 'TombstoneDescendant', threadId: child, rootThreadId }, ctx, {
    known: loaded,
    descendant: true,
  });
};
