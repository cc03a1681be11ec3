import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../domain/commands.js';
import {
  type PurgeStep,
  type RetryPolicy,
  defaultRetryPolicy,
  nextStep,
  remainingSteps,
  retryDelayMs,
  stepKey,
} from '../domain/deletionProcess.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { isTombstoned } from '../domain/threadState.js';
import type { KeyStore } from '../io/keys/keyStore.js';
import type { RolloutPurger } from '../io/rolloutFiles.js';
import { SessionIndexFile } from '../io/sessionIndexFile.js';
import { isChildOf } from './threadLifecycle.js';
import type { Clock, Loaded, ThreadRepository } from './threadRepository.js';

export type WorkerOptions = {
  readonly repo: ThreadRepository;
  readonly purger: RolloutPurger;
  readonly keys: KeyStore;
  /** The session index files the worker may rewrite (Codex's session_index.jsonl); no other. */
  readonly sessionIndexFiles?: readonly string[];
  readonly clock: Clock;
  /** Threads whose deletion is not complete (from the deletion records), deepest first. */
  readonly pending: () => Promise<ThreadId[]>;
  readonly retry?: RetryPolicy;
  /** At most this many threads are worked on in one pass. */
  readonly batchSize?: number;
};

export type PassResult = {
  /** Events appended in this pass. */
  readonly recorded: number;
  readonly completed: ThreadId[];
  /** When the earliest step in backoff may run again; null if none waits. */
  readonly retryAtMs: number | null;
};

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The deletion worker. One pass: load the pending threads from their streams, finish any
 * interrupted cascade, run every purge step that is due (rollout files, the content key), record
 * each finished or failed step as an event, then close threads with `ThreadDeleted`, children
 * before parents. Every step is decided on the stream's history and appended at the revision
 * read, so a pass is idempotent and a crashed one resumes where it stopped.
 */
export class DeletionWorker {
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;

  constructor(private readonly o: WorkerOptions) {
    this.retry = o.retry ?? defaultRetryPolicy;
    this.batchSize = o.batchSize ?? 5000;
  }

  async runPass(): Promise<PassResult> {
    const ctx: CommandContext = { actor: 'deletion-worker', requestId: randomUUID(), causationId: null };
    const states = new Map<ThreadId, Loaded>();
    for (const id of (await this.o.pending()).slice(0, this.batchSize)) states.set(id, await this.o.repo.load(id));
    let recorded = await this.finishCascades(states, ctx);
    recorded += await this.runDueSteps(states, ctx);
    const completed = await this.completeReady(states, ctx);
    recorded += completed.length;
    const now = this.o.clock();
    let retryAtMs: number | null = null;
    for (const { state } of states.values()) {
      const n = nextStep(state, { nowMs: now, pendingChildren: [] });
      if (n.kind === 'Backoff') retryAtMs = Math.min(retryAtMs ?? Infinity, n.untilMs);
    }
    return { recorded, completed, retryAtMs };
  }

  /** A crash may have stopped a cascade half-way: tombstone any child that escaped it. */
  private async finishCascades(states: Map<ThreadId, Loaded>, ctx: CommandContext): Promise<number> {
    let recorded = 0;
    let frontier = [...states.keys()];
    while (frontier.length > 0) {
      const next: ThreadId[] = [];
      for (const id of frontier) {
        const s = states.get(id)!.state;
        if (!isTombstoned(s)) continue;
        for (const child of s.children) {
          if (states.has(child)) continue;
          const loaded = await this.o.repo.load(child);
          if (!isChildOf(loaded.state, id)) continue; // an edge to a thread started elsewhere
          if (loaded.state.status === 'deleted') continue; // already finished: not part of this pass
          if (isTombstoned(loaded.state)) {
            states.set(child, loaded);
          } else {
            const command = { type: 'TombstoneDescendant', threadId: child, rootThreadId: s.rootThreadId ?? id } as const;
            const r = await this.o.repo.handle(command, ctx, loaded);
            if (E.isLeft(r)) continue;
            recorded += r.right.events.length;
            states.set(child, r.right);
          }
          next.push(child);
        }
      }
      frontier = next;
    }
    return recorded;
  }

  private async runDueSteps(states: Map<ThreadId, Loaded>, ctx: CommandContext): Promise<number> {
    const now = this.o.clock();
    const due = new Map<ThreadId, { step: PurgeStep; attempt: number }[]>();
    for (const [id, { state: s }] of states) {
      if (s.status !== 'deleting') continue;
      const steps = remainingSteps(s)
        .filter((step) => (s.retryAtMs[stepKey(step)] ?? 0) <= now)
        .map((step) => ({ step, attempt: (s.attempts[stepKey(step)] ?? 0) + 1 }));
      if (steps.length > 0) due.set(id, steps);
    }
    if (due.size === 0) return 0;

    // Keys are destroyed for all threads at once: one durable write.
    const shredIds = [...due].filter(([, steps]) => steps.some((x) => x.step.kind === 'ShredContent')).map(([id]) => id);
    let shred: { destroyed: Set<string>; error: string | null } = { destroyed: new Set(), error: null };
    if (shredIds.length > 0) {
      try {
        shred.destroyed = new Set((await this.o.keys.destroy(shredIds)).destroyed);
      } catch (err) {
        shred = { destroyed: new Set(), error: errorText(err) };
      }
    }

    const indexes = this.purgeIndexes(due);
    const results = await Promise.all(
      [...due].map(async ([threadId, steps]) => {
        const commands = await Promise.all(
          steps.map(({ step, attempt }) => this.runStep(threadId, step, attempt, shred, indexes)),
        );
        const r = await this.o.repo.handleAll(threadId, commands, ctx, states.get(threadId));
        if (E.isLeft(r)) return 0;
        states.set(threadId, r.right);
        return r.right.events.length;
      }),
    );
    return results.reduce((a, b) => a + b, 0);
  }

  private async runStep(
    threadId: ThreadId,
    step: PurgeStep,
    attempt: number,
    shred: { destroyed: Set<string>; error: string | null },
    indexes: Map<string, Map<string, number> | string>,
  ): Promise<Command> {
    const failed = (error: string): Command => ({
      type: 'RecordStepFailed',
      failure: {
        threadId,
        step: stepKey(step),
        error,
        attempt: attempt as never,
        nextRetryAtMs: this.o.clock() + retryDelayMs(attempt, this.retry),
      },
    });
    if (step.kind === 'ShredContent') {
      if (shred.error !== null) return failed(shred.error);
      return {
        type: 'RecordContentShredded',
        result: { threadId, outcome: shred.destroyed.has(threadId) ? 'destroyed' : 'absent' },
      };
    }
    if (step.kind === 'PurgeSessionIndex') {
      const r = indexes.get(step.path);
      if (typeof r === 'string' || r === undefined) return failed(r ?? 'session index not rewritten');
      return { type: 'RecordSessionIndexPurged', result: { threadId, path: step.path, linesRemoved: (r.get(threadId) ?? 0) as never } };
    }
    try {
      const out = await this.o.purger.purge(step.path);
      return { type: 'RecordRolloutPurged', result: { threadId, path: step.path, ...out } };
    } catch (err) {
      return failed(errorText(err));
    }
  }

  /** Each session index file is rewritten once for all the threads due, not once per thread. */
  private purgeIndexes(due: Map<ThreadId, { step: PurgeStep }[]>): Map<string, Map<string, number> | string> {
    const byFile = new Map<string, Set<string>>();
    for (const [threadId, steps] of due) {
      for (const { step } of steps) {
        if (step.kind !== 'PurgeSessionIndex') continue;
        if (!byFile.has(step.path)) byFile.set(step.path, new Set());
        byFile.get(step.path)!.add(threadId);
      }
    }
    const out = new Map<string, Map<string, number> | string>();
    for (const [path, ids] of byFile) {
      if (!(this.o.sessionIndexFiles ?? []).includes(path)) {
        out.set(path, `refusing to rewrite ${path}: it is not a configured session index file`);
        continue;
      }
      try {
        out.set(path, new SessionIndexFile(path).remove(ids));
      } catch (err) {
        out.set(path, errorText(err));
      }
    }
    return out;
  }

  /** Closes every thread whose steps are done, once all its children are closed: leaves first. */
  private async completeReady(states: Map<ThreadId, Loaded>, ctx: CommandContext): Promise<ThreadId[]> {
    const completed: ThreadId[] = [];
    for (;;) {
      const ready: ThreadId[] = [];
      for (const [id, { state: s }] of states) {
        if (s.status !== 'deleting' || remainingSteps(s).length > 0) continue;
        const pendingChildren = await this.pendingChildren(id, s, states);
        if (pendingChildren.length === 0) ready.push(id);
      }
      if (ready.length === 0) return completed;
      const results = await Promise.all(
        ready.map((threadId) =>
          this.o.repo.handle({ type: 'CompleteDeletion', threadId, pendingChildren: [] }, ctx, states.get(threadId)),
        ),
      );
      let progressed = false;
      results.forEach((r, i) => {
        if (E.isLeft(r)) {
          states.delete(ready[i]!); // decided elsewhere meanwhile (another worker): leave it to the next pass
          return;
        }
        states.set(ready[i]!, r.right);
        if (r.right.events.length > 0) {
          completed.push(ready[i]!);
          progressed = true;
        }
      });
      if (!progressed) return completed;
    }
  }

  private async pendingChildren(self: ThreadId, s: Loaded['state'], states: Map<ThreadId, Loaded>): Promise<ThreadId[]> {
    const pending: ThreadId[] = [];
    for (const child of s.children) {
      if (child === self) continue;
      const cs = (states.get(child) ?? (await this.o.repo.load(child))).state;
      if (isChildOf(cs, self) && cs.status !== 'deleted') pending.push(child);
    }
    return pending;
  }
}
