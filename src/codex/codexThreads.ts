import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { awaitDeletion, type DeletionSettled } from '../app/deletion/awaitDeletion.js';
import type { HandleError } from '../app/handleError.js';
import { purgeLateRollout } from '../app/lateRollouts.js';
import type { Ledger } from '../app/ledger.js';
import type { Relocation } from '../app/threadLifecycle.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { rolloutFilesOf } from '../domain/purgeSteps.js';
import { SessionIndexFile } from '../io/sessionIndexFile.js';
import type { CodexHome } from './codexHome.js';

/** How long a delete waits on purge steps that another worker is running before it answers. */
const DELETE_WAIT_MS = 30_000;

/**
 * The thread lifecycle over a Codex home: the ledger's commands, plus what Codex itself does to
 * its files (rollouts moved on archive, names appended to `session_index.jsonl`), so that Codex
 * still sees the right state. Deletion is the ledger's: durable first, then purged.
 */
export class CodexThreads {
  private readonly index: SessionIndexFile | null;

  /** `home: null`: a ledger with no Codex home behind it (the HTTP service): no files to keep in step. */
  constructor(
    private readonly home: CodexHome | null,
    private readonly ledger: Ledger,
    private readonly clock: () => number = Date.now,
    private readonly warn: (message: string) => void = (m) =>
      process.stderr.write(`thread-ledger: ${m}\n`),
  ) {
    this.index = home ? new SessionIndexFile(home.sessionIndexPath) : null;
  }

  /** Moves the rollout between `sessions/` and `archived_sessions/` as Codex does. */
  readonly relocation: Relocation = {
    move: async (_id, state, archive) => {
      const current = state.rolloutPath;
      if (!current || !this.home) return null;
      const target = archive ? this.home.archivedPathOf(current) : this.home.activePathOf(current);
      if (existsSync(current)) await this.home.move(current, target);
      return existsSync(target) ? target : null;
    },
    // Deleted while its rollout was being moved: purge it where it went. Should this fail, the
    // importer's scan finds the file of a deleted thread and purges it then.
    orphaned: async (id, path) => {
      const ctx = { actor: 'codex-archive', requestId: randomUUID(), causationId: null };
      for (const file of rolloutFilesOf(path)) {
        const r: E.Either<unknown, void> = await purgeLateRollout(this.ledger, id, file, ctx).catch(
          (err: unknown) => E.left(String(err)),
        );
        if (E.isLeft(r))
          this.warn(
            `the rollout ${file} of deleted thread ${id} is left for the next scan: ${JSON.stringify(r.left)}`,
          );
      }
    },
  };

  archive(id: ThreadId, ctx: CommandContext) {
    return this.ledger.lifecycle.archive(id, ctx, this.home ? this.relocation : undefined);
  }

  unarchive(id: ThreadId, ctx: CommandContext) {
    return this.ledger.lifecycle.unarchive(id, ctx, this.home ? this.relocation : undefined);
  }

  /**
   * Renames: once the rename is found acceptable (trimmed, non-empty, not archived), the name is
   * appended to the session index (so a crash after it still leaves Codex and the next import with
   * the new name), then recorded.
   */
  async rename(
    id: ThreadId,
    name: string,
    ctx: CommandContext,
  ): Promise<E.Either<HandleError, string>> {
    const trimmed = name.trim();
    const command = {
      type: 'RenameThread',
      threadId: id,
      name: trimmed,
      indexedIn: this.index?.path ?? null,
    } as const;
    const r = await this.ledger.commands.handle(command, ctx, {
      effect: async () => {
        await this.index?.append(id, trimmed, new Date(this.clock()));
        return command;
      },
    });
    return E.map(() => trimmed)(r);
  }

  /**
   * Deletes a thread and its subtree and drives the purge to the end. The tombstones are committed
   * first: whatever happens next, the threads stay hidden and the worker keeps retrying.
   */
  async delete(id: ThreadId, ctx: CommandContext): Promise<E.Either<HandleError, DeletionSettled>> {
    const r = await this.ledger.lifecycle.delete(id, null, ctx);
    if (E.isLeft(r)) return r;
    return E.right(
      await awaitDeletion(this.ledger, r.right.threadIds, {
        giveUpAtMs: this.clock() + DELETE_WAIT_MS,
        clock: this.clock,
      }),
    );
  }
}
