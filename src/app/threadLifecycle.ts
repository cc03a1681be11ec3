import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../domain/commands.js';
import type { SourceKind, ThreadStarted as Started } from '../domain/events.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import type { ThreadState } from '../domain/threadState.js';
import type { CommandHandler, Handled } from './commandHandler.js';
import type { HandleError } from './handleError.js';
import type { RolloutPathPolicy } from './rolloutPathPolicy.js';
import type { Loaded } from './threadRepository.js';
import { tombstoneDescendant } from './tombstoneDescendant.js';

/** What archiving does to a thread's files, beside recording it (Codex moves the rollout). */
export type Relocation = {
  /** Moves the rollout for an archive (true) or unarchive (false); says where it now is. */
  move(threadId: ThreadId, state: ThreadState, archive: boolean): Promise<string | null>;
  /**
   * The file was moved to `path`, but the thread was tombstoned before the move could be recorded:
   * the deletion does not know that path, so whoever moved the file purges and records it.
   */
  orphaned(threadId: ThreadId, path: string): Promise<void>;
};

/** The kinds of a subagent thread: Codex's `SessionSource::SubAgent`, whatever made it. */
export const SUBAGENT_SOURCE_KINDS: readonly SourceKind[] = [
  'subAgent',
  'subAgentReview',
  'subAgentCompact',
  'subAgentThreadSpawn',
  'subAgentOther',
];

/**
 * The kind of a thread another thread spawned, unless the writer names a subagent kind: what
 * Codex records for it (`SubAgentSource::ThreadSpawn`, listed as `subAgentThreadSpawn`).
 */
export const SPAWNED_SOURCE_KIND: SourceKind = 'subAgentThreadSpawn';

/** What a use case changed: the threads, and the log position a reader waits for to see it. */
export type Changed = {
  readonly threadIds: ThreadId[];
  readonly position: bigint | null;
  /** A keyed retry of a command the log already holds: answered from it, nothing appended. */
  readonly replayed?: boolean;
};

/** A handled command as the use case's answer: it changed `threadIds`. */
export const changed =
  (...threadIds: ThreadId[]) =>
  (h: Handled): Changed => ({ threadIds, position: h.position, replayed: h.replayed });

/** The children not visited yet, each once, whatever edges say (no cycle can loop). */
const childrenOf = (parent: ThreadId, s: ThreadState, seen: Set<ThreadId>) =>
  s.children.filter((c) => !seen.has(c) && seen.add(c)).map((child) => ({ child, parent }));

const maxPosition = (a: bigint | null, b: bigint | null): bigint | null =>
  a === null ? b : b === null || a > b ? a : b;

/**
 * The use cases: each command of the thread lifecycle, including the ones that span several
 * streams (spawn, the archive and delete cascades). Cascades walk spawn edges read from the
 * streams, never from a projection.
 */
export class ThreadLifecycle {
  /** `rolloutPaths`: what a writer may name as a thread's rollout (none given: not checked). */
  constructor(
    private readonly commands: CommandHandler,
    private readonly rolloutPaths?: RolloutPathPolicy,
  ) {}

  /** A rollout path named by a writer is refused unless the deletion could purge it and it is the thread's own. */
  private async checkRollout(thread: Started): Promise<E.Either<HandleError, void>> {
    if (thread.rolloutPath === null || !this.rolloutPaths) return E.right(undefined);
    const r = await this.rolloutPaths.check(thread.threadId, thread.rolloutPath);
    return E.isLeft(r) ? this.commands.refuse('StartThread', r.left) : r;
  }

  /** Starts a root thread. */
  async start(thread: Started, ctx: CommandContext): Promise<E.Either<HandleError, Changed>> {
    const path = await this.checkRollout(thread);
    if (E.isLeft(path)) return path;
    const r = await this.commands.handle(
      {
        type: 'StartThread',
        thread: { ...thread, parentThreadId: null, depth: 0 as Started['depth'] },
      },
      ctx,
    );
    return E.map(changed(thread.threadId))(r);
  }

  /**
   * Spawns a subagent, as a writer asks: never onto a thread that exists, nor onto itself, and
   * only as a subagent (its source kind one of SUBAGENT_SOURCE_KINDS, SPAWNED_SOURCE_KIND when
   * the writer names none).
   */
  async spawn(
    parentThreadId: ThreadId,
    thread: Started,
    ctx: CommandContext,
  ): Promise<E.Either<HandleError, Changed>> {
    if (thread.threadId === parentThreadId)
      return E.left({ kind: 'SelfSpawn', threadId: parentThreadId });
    if (!SUBAGENT_SOURCE_KINDS.includes(thread.sourceKind)) {
      const { threadId, sourceKind } = thread;
      return this.commands.refuse('SpawnSubagent', {
        kind: 'NotASubagentKind',
        threadId,
        sourceKind,
      });
    }
    const path = await this.checkRollout(thread);
    if (E.isLeft(path)) return path;
    // An existing thread is never adopted: no edge is written to it.
    const existing = await this.commands.repo.load(thread.threadId);
    if (
      existing.state.status === 'live' &&
      existing.state.started?.parentThreadId !== parentThreadId
    ) {
      return E.left({ kind: 'ThreadAlreadyExists', threadId: thread.threadId });
    }
    const { depth: _, ...child } = thread;
    return this.recordSpawn(parentThreadId, child, ctx);
  }

  /**
   * Records a spawn (a writer's, or one the importer found): the edge goes on the parent first
   * (refused once the parent is tombstoned), then the child's stream starts with `no_stream`. If
   * the parent's deletion lands in between, its cascade has already tombstoned the child's stream
   * and the start is refused: no live thread ever has a tombstoned ancestor. The child is one
   * level below its parent unless `thread.depth` says where Codex put it; `followedBy` is
   * recorded with the start (see HandleOptions). `known`: the parent and the child as the caller
   * just read them (the importer), decided on without reading their streams again.
   */
  async recordSpawn(
    parentThreadId: ThreadId,
    thread: Omit<Started, 'depth'> & { readonly depth?: Started['depth'] },
    ctx: CommandContext,
    followedBy: readonly Command[] = [],
    known: { readonly parent?: Loaded; readonly child?: Loaded } = {},
  ): Promise<E.Either<HandleError, Changed>> {
    const tombstoned = (r: E.Left<HandleError>): E.Either<HandleError, never> =>
      r.left.kind === 'ThreadTombstoned' ? E.left({ kind: 'ParentTombstoned', parentThreadId }) : r;
    const edge = await this.commands.handle(
      { type: 'SpawnSubagent', parentThreadId, childThreadId: thread.threadId },
      ctx,
      { known: known.parent },
    );
    if (E.isLeft(edge)) return tombstoned(edge);
    const depth =
      thread.depth ?? (((edge.right.state.started?.depth ?? 0) + 1) as Started['depth']);
    const child = { ...thread, parentThreadId, depth };
    const started = await this.commands.handle({ type: 'StartThread', thread: child }, ctx, {
      followedBy,
      known: known.child,
    });
    if (E.isLeft(started)) return tombstoned(started);
    return E.right({
      threadIds: [thread.threadId],
      position: maxPosition(edge.right.position, started.right.position),
      replayed: started.right.replayed,
    });
  }

  async rename(
    threadId: ThreadId,
    name: string,
    ctx: CommandContext,
    indexedIn: string | null = null,
  ): Promise<E.Either<HandleError, Changed>> {
    const r = await this.commands.handle({ type: 'RenameThread', threadId, name, indexedIn }, ctx);
    return E.map(changed(threadId))(r);
  }

  /**
   * Archives a thread and every spawned descendant that is not archived yet (Codex's rule).
   * `relocate`, when given, moves the thread's rollout first and says where it went.
   */
  archive(
    threadId: ThreadId,
    ctx: CommandContext,
    relocate?: Relocation,
  ): Promise<E.Either<HandleError, Changed>> {
    return this.cascadeArchive(threadId, ctx, true, relocate);
  }

  /** Unarchives a thread and every archived spawned descendant. */
  unarchive(
    threadId: ThreadId,
    ctx: CommandContext,
    relocate?: Relocation,
  ): Promise<E.Either<HandleError, Changed>> {
    return this.cascadeArchive(threadId, ctx, false, relocate);
  }

  private async cascadeArchive(
    root: ThreadId,
    ctx: CommandContext,
    archive: boolean,
    relocate: Relocation | undefined,
  ): Promise<E.Either<HandleError, Changed>> {
    const command = (threadId: ThreadId, rolloutPath: string | null): Command =>
      archive
        ? { type: 'ArchiveThread', threadId, rolloutPath }
        : { type: 'UnarchiveThread', threadId, rolloutPath };
    // A replayed cascade (a keyed retry) follows only the spawn edges recorded before the root's
    // first answer: a subagent spawned since was not part of that request.
    let cutoff: bigint | null = null;
    /** One thread: recorded (its rollout relocated first) unless the decider refuses. Its children either way. */
    const one = async (
      threadId: ThreadId,
      descendant: boolean,
    ): Promise<{ r: E.Either<HandleError, Handled>; children: readonly ThreadId[] }> => {
      const loaded = await this.commands.repo.load(threadId);
      let moved: string | null = null;
      const r = await this.commands.handle(command(threadId, null), ctx, {
        known: loaded,
        descendant,
        effect: relocate
          ? async (state) => {
              moved = await relocate.move(threadId, state, archive);
              return command(threadId, moved);
            }
          : undefined,
      });
      const path: string | null = moved;
      if (
        E.isLeft(r) &&
        r.left.kind === 'ThreadTombstoned' &&
        path &&
        path !== loaded.state.rolloutPath
      )
        await relocate!.orphaned(threadId, path);
      if (!descendant && E.isRight(r) && r.right.replayed) cutoff = r.right.position;
      const children = (E.isRight(r) ? r.right.state : loaded.state).children.filter(
        (c) => cutoff === null || (loaded.edgeAt?.get(c) ?? 0n) <= cutoff,
      );
      return { r, children };
    };
    const first = await one(root, false);
    if (E.isLeft(first.r)) return first.r;
    const changedIds: ThreadId[] = [root];
    const seen = new Set<ThreadId>([root]);
    let position = first.r.right.position;
    const replayed = first.r.right.replayed;
    let level = first.children.filter((c) => !seen.has(c) && seen.add(c));
    while (level.length > 0) {
      const results = await Promise.all(
        level.map(async (id) => [id, await one(id, true)] as const),
      );
      level = [];
      for (const [id, { r, children }] of results) {
        // A descendant already in the wanted state, tombstoned or never started is passed over.
        if (E.isRight(r)) {
          changedIds.push(id);
          position = maxPosition(position, r.right.position);
        }
        level.push(...children.filter((c) => !seen.has(c) && seen.add(c)));
      }
    }
    return E.right({ threadIds: changedIds, position, replayed });
  }

  /**
   * Deletes a thread and its whole subtree: commits the root's tombstone, then the cascade.
   * The answer lists the subtree, root first.
   */
  async delete(
    threadId: ThreadId,
    reason: string | null,
    ctx: CommandContext,
  ): Promise<E.Either<HandleError, Changed>> {
    const root = await this.commands.handle({ type: 'DeleteThread', threadId, reason }, ctx);
    if (E.isLeft(root)) return root;
    const rest = await this.cascade(threadId, root.right.state, ctx);
    return E.map((c: Changed) => ({
      threadIds: [threadId, ...c.threadIds],
      position: maxPosition(root.right.position, c.position),
      replayed: root.right.replayed,
    }))(rest);
  }

  /**
   * Tombstones every descendant of a tombstoned thread. A thread's children are read only after its
   * own tombstone is committed, when no new edge can be added: so the walk finds every child.
   * Safe to run again (after a crash, by the worker): tombstoned threads are left as they are.
   */
  async cascade(
    rootThreadId: ThreadId,
    rootState: ThreadState,
    ctx: CommandContext,
  ): Promise<E.Either<HandleError, Changed>> {
    const found: ThreadId[] = [];
    const seen = new Set<ThreadId>([rootThreadId]);
    let position: bigint | null = null;
    let level = childrenOf(rootThreadId, rootState, seen);
    while (level.length > 0) {
      const results = await Promise.all(
        level.map((step) => tombstoneDescendant(this.commands, { ...step, rootThreadId }, ctx)),
      );
      const next: { child: ThreadId; parent: ThreadId }[] = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        if (r === null) continue;
        if (E.isLeft(r)) return r;
        found.push(level[i]!.child);
        position = maxPosition(position, r.right.position);
        next.push(...childrenOf(level[i]!.child, r.right.state, seen));
      }
      level = next;
    }
    return E.right({ threadIds: found, position });
  }
}
