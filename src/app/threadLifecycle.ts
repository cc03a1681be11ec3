import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../domain/commands.js';
import type { ThreadStarted as Started } from '../domain/events.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { decide } from '../domain/threadDecider.js';
import { isChildOf, type ThreadState } from '../domain/threadState.js';
import type { RolloutPathPolicy } from './rolloutPathPolicy.js';
import type { Handled, HandleError, ThreadRepository } from './threadRepository.js';

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

export type Changed = {
  readonly threadIds: ThreadId[];
  readonly position: bigint | null;
  /** A keyed retry of a command the log already holds: answered from it, nothing appended. */
  readonly replayed?: boolean;
};

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
    private readonly repo: ThreadRepository,
    private readonly rolloutPaths?: RolloutPathPolicy,
  ) {}

  /** A rollout path named by a writer is refused unless the deletion could purge it and it is the thread's own. */
  private async checkRollout(thread: Started): Promise<E.Either<HandleError, void>> {
    if (thread.rolloutPath === null || !this.rolloutPaths) return E.right(undefined);
    const r = await this.rolloutPaths.check(thread.threadId, thread.rolloutPath);
    if (E.isLeft(r)) this.repo.stats.count('StartThread', r.left.kind);
    return r;
  }

  /** Starts a root thread. */
  async start(thread: Started, ctx: CommandContext): Promise<E.Either<HandleError, Changed>> {
    const path = await this.checkRollout(thread);
    if (E.isLeft(path)) return path;
    const r = await this.repo.handle(
      {
        type: 'StartThread',
        thread: { ...thread, parentThreadId: null, depth: 0 as Started['depth'] },
      },
      ctx,
    );
    return E.map((h: Handled) => ({
      threadIds: [thread.threadId],
      position: h.position,
      replayed: h.replayed,
    }))(r);
  }

  /**
   * Spawns a subagent: the edge goes on the parent first (refused once the parent is tombstoned),
   * then the child's stream starts with `no_stream`. If the parent's deletion lands in between,
   * its cascade has already tombstoned the child's stream and the start is refused: no live
   * thread ever has a tombstoned ancestor.
   */
  async spawn(
    parentThreadId: ThreadId,
    thread: Started,
    ctx: CommandContext,
  ): Promise<E.Either<HandleError, Changed>> {
    if (thread.threadId === parentThreadId)
      return E.left({ kind: 'SelfSpawn', threadId: parentThreadId });
    const path = await this.checkRollout(thread);
    if (E.isLeft(path)) return path;
    // An existing thread is never adopted: no edge is written to it.
    const existing = await this.repo.load(thread.threadId);
    if (
      existing.state.status === 'live' &&
      existing.state.started?.parentThreadId !== parentThreadId
    ) {
      return E.left({ kind: 'ThreadAlreadyExists', threadId: thread.threadId });
    }
    const edge = await this.repo.handle(
      { type: 'SpawnSubagent', parentThreadId, childThreadId: thread.threadId },
      ctx,
    );
    if (E.isLeft(edge))
      return edge.left.kind === 'ThreadTombstoned'
        ? E.left({ kind: 'ParentTombstoned', parentThreadId })
        : edge;
    const parentDepth = edge.right.state.started?.depth ?? 0;
    const child = { ...thread, parentThreadId, depth: (parentDepth + 1) as Started['depth'] };
    const started = await this.repo.handle({ type: 'StartThread', thread: child }, ctx);
    if (E.isLeft(started)) {
      return started.left.kind === 'ThreadTombstoned'
        ? E.left({ kind: 'ParentTombstoned', parentThreadId })
        : started;
    }
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
    const r = await this.repo.handle({ type: 'RenameThread', threadId, name, indexedIn }, ctx);
    return E.map((h: Handled) => ({
      threadIds: [threadId],
      position: h.position,
      replayed: h.replayed,
    }))(r);
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
    /** One thread: refused as the decider says, else relocated, then recorded. Its children either way. */
    const one = async (
      threadId: ThreadId,
      descendant: boolean,
    ): Promise<{ r: E.Either<HandleError, Changed> | null; children: readonly ThreadId[] }> => {
      const loaded = await this.repo.load(threadId);
      // A retry of a keyed archive that this thread recorded is answered by `handle`, as before.
      const before = this.repo.recorded(loaded, ctx);
      const retry = before !== null && (before !== 'other' || !descendant);
      const check = decide(command(threadId, null), loaded.state);
      const children = (s: ThreadState) =>
        s.children.filter((c) => cutoff === null || (loaded.edgeAt?.get(c) ?? 0n) <= cutoff);
      if (!retry && E.isLeft(check)) {
        if (!descendant) this.repo.stats.count(command(threadId, null).type, check.left.kind); // the request's refusal
        return { r: check, children: children(loaded.state) };
      }
      const rolloutPath =
        relocate && !retry ? await relocate.move(threadId, loaded.state, archive) : null;
      const r = await this.repo.handle(command(threadId, rolloutPath), ctx, loaded, { descendant });
      if (
        E.isLeft(r) &&
        r.left.kind === 'ThreadTombstoned' &&
        rolloutPath &&
        rolloutPath !== loaded.state.rolloutPath
      ) {
        await relocate!.orphaned(threadId, rolloutPath);
      }
      if (!descendant && E.isRight(r) && r.right.replayed) cutoff = r.right.position;
      return {
        r: E.map((h: Handled) => ({
          threadIds: [threadId],
          position: h.position,
          replayed: h.replayed,
        }))(r),
        children: children(E.isRight(r) ? r.right.state : loaded.state),
      };
    };
    const first = await one(root, false);
    if (first.r && E.isLeft(first.r)) return first.r;
    const changed: ThreadId[] = [root];
    const seen = new Set<ThreadId>([root]);
    let position = first.r && E.isRight(first.r) ? first.r.right.position : null;
    const replayed = first.r !== null && E.isRight(first.r) && first.r.right.replayed;
    let level = first.children.filter((c) => !seen.has(c) && seen.add(c));
    while (level.length > 0) {
      const results = await Promise.all(
        level.map(async (id) => [id, await one(id, true)] as const),
      );
      level = [];
      for (const [id, { r, children }] of results) {
        // A descendant already in the wanted state, tombstoned or never started is passed over.
        if (r && E.isRight(r)) {
          changed.push(id);
          position = maxPosition(position, r.right.position);
        }
        level.push(...children.filter((c) => !seen.has(c) && seen.add(c)));
      }
    }
    return E.right({ threadIds: changed, position, replayed });
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
    const root = await this.repo.handle({ type: 'DeleteThread', threadId, reason }, ctx);
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
        level.map(async ({ child, parent }) => {
          const loaded = await this.repo.load(child);
          // An edge to a thread that was started under another parent is not a child of this one.
          if (!isChildOf(loaded.state, parent)) return null;
          return this.repo.handle(
            { type: 'TombstoneDescendant', threadId: child, rootThreadId },
            ctx,
            loaded,
            { descendant: true },
          );
        }),
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
