import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../../domain/commands.js';
import {
  artifactSteps,
  type ChildObservation,
  defaultRetryPolicy,
  observeChild,
  planDeletion,
  type RetryPolicy,
  retryDelayMs,
  stepsFoundBy,
} from '../../domain/deletionProcess.js';
import type { ThreadId } from '../../domain/ids.js';
import type { CommandContext } from '../../domain/metadata.js';
import { type PurgeStep, type StepKind, stepKey } from '../../domain/purgeSteps.js';
import { decide } from '../../domain/threadDecider.js';
import { evolve, isChildOf, isTombstoned, type ThreadState } from '../../domain/threadState.js';
import type { Clock } from '../clock.js';
import type { CommandHandler } from '../commandHandler.js';
import type { Loaded } from '../threadRepository.js';
import { tombstoneDescendant } from '../tombstoneDescendant.js';
import { type DueWork, pushTo, type StepExecutors, type StepOutcome } from './stepExecutor.js';

export type WorkerOptions = {
  readonly commands: CommandHandler;
  /** One executor per kind of artifact. */
  readonly executors: StepExecutors;
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

type Due = DueWork & { readonly attempt: number };

/** Rounds of steps in one pass: the planned ones and what the inventory found, then any left. */
const MAX_ROUNDS = 3;
const INVENTORY: StepKind = 'InventoryCodexHome';
/** Run on worker threads (`CodexDatabasePool`): started before the steps that hold this thread. */
const HANDED_OFF: StepKind = 'PurgeCodexDatabase';

/**
 * The deletion worker. One pass: load the pending threads from their streams, finish any
 * interrupted cascade, ask the domain what each deletion needs (planDeletion), run exactly those
 * steps through the executor of their kind, record each finished or failed step as an event, then
 * close threads with `ThreadDeleted`, children before parents, once the decider, shown the
 * children as their streams are, agrees. Every record is appended at the revision read, so a pass
 * is idempotent and a crashed one resumes where it stopped.
 */
export class DeletionWorker {
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;

  constructor(private readonly o: WorkerOptions) {
    this.retry = o.retry ?? defaultRetryPolicy;
    this.batchSize = o.batchSize ?? 5000;
  }

  async runPass(): Promise<PassResult> {
    const ctx: CommandContext = {
      actor: 'deletion-worker',
      requestId: randomUUID(),
      causationId: null,
    };
    const states = new Map<ThreadId, Loaded>();
    for (const id of (await this.o.pending()).slice(0, this.batchSize))
      states.set(id, await this.o.commands.repo.load(id));
    let recorded = await this.finishCascades(states, ctx);
    recorded += await this.runDueSteps(states, ctx);
    const completed = await this.completeReady(states, ctx);
    recorded += completed.length;
    const now = this.o.clock();
    let retryAtMs: number | null = null;
    for (const [id, { state }] of states) {
      const plan = planDeletion(id, state, { nowMs: now, children: [] });
      if (plan.kind === 'Purge' && plan.retryAtMs !== null)
        retryAtMs = Math.min(retryAtMs ?? Infinity, plan.retryAtMs);
    }
    return { recorded, completed, retryAtMs };
  }

  /** A crash may have stopped a cascade half-way: tombstone any child that escaped it. */
  private async finishCascades(
    states: Map<ThreadId, Loaded>,
    ctx: CommandContext,
  ): Promise<number> {
    let recorded = 0;
    let frontier = [...states.keys()];
    while (frontier.length > 0) {
      const next: ThreadId[] = [];
      for (const id of frontier) {
        const s = states.get(id)!.state;
        if (!isTombstoned(s)) continue;
        for (const child of s.children) {
          if (states.has(child)) continue;
          const loaded = await this.o.commands.repo.load(child);
          if (!isChildOf(loaded.state, id)) continue; // an edge to a thread started elsewhere
          if (loaded.state.status === 'deleted') continue; // already finished: not part of this pass
          if (isTombstoned(loaded.state)) {
            states.set(child, loaded); // tombstoned already: joins the pass as it is
          } else {
            const r = await tombstoneDescendant(
              this.o.commands,
              { child, parent: id, rootThreadId: s.rootThreadId ?? id },
              ctx,
              loaded,
            );
            if (r === null || E.isLeft(r)) continue;
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

  /**
   * Every step the domain plans now, grouped by kind, each kind through its executor; then again
   * for the steps those steps found (the Codex home inventory), so one pass purges it all.
   */
  private async runDueSteps(states: Map<ThreadId, Loaded>, ctx: CommandContext): Promise<number> {
    let recorded = 0;
    const ran = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const n = await this.runRound(states, ctx, ran);
      if (n === 0) break;
      recorded += n;
    }
    return recorded;
  }

  private async runRound(
    states: Map<ThreadId, Loaded>,
    ctx: CommandContext,
    ran: Set<string>,
  ): Promise<number> {
    const now = this.o.clock();
    const inventories: Due[] = [];
    const rest: Due[] = [];
    for (const [threadId, { state }] of states) {
      const plan = planDeletion(threadId, state, { nowMs: now, children: [] });
      if (plan.kind !== 'Purge') continue;
      for (const { step, attempt } of plan.due) {
        // A step run once in this pass (and failed) waits for its retry, not for the next round.
        if (ran.has(`${threadId} ${stepKey(step)}`)) continue;
        (step.kind === INVENTORY ? inventories : rest).push({ threadId, state, step, attempt });
      }
    }
    if (inventories.length + rest.length === 0) return 0;
    const outcomes = new Map<Due, StepOutcome>();
    // The inventory first; what it finds (Codex's databases, the longest steps) then runs beside
    // the rest, in this round, recorded after it in the same append.
    await this.executeAll(inventories, outcomes);
    const others = this.afterInventories(inventories, outcomes, rest);
    await this.executeAll(others, outcomes);
    const planned = new Map<ThreadId, Due[]>();
    for (const d of [...inventories, ...others]) {
      ran.add(`${d.threadId} ${stepKey(d.step)}`);
      pushTo(planned, d.threadId, d);
    }
    const appended = await Promise.all(
      [...planned].map(async ([threadId, due]) => {
        // Recorded in the order planned (the inventory first), whichever executor finished first.
        const commands = due.map((d) => this.record(d, outcomes.get(d)!));
        const r = await this.o.commands.handleAll(threadId, commands, ctx, states.get(threadId));
        if (E.isLeft(r)) return 0; // decided elsewhere meanwhile (another worker): the next pass sees it
        states.set(threadId, r.right);
        return r.right.events.length;
      }),
    );
    return appended.reduce((a, b) => a + b, 0);
  }

  /**
   * The thread's state once its inventory is recorded (the rollouts it found are the thread's too),
   * for the rest of its steps; and the steps it found that the history did not know: first attempts.
   */
  private afterInventories(
    inventories: Due[],
    outcomes: Map<Due, StepOutcome>,
    rest: Due[],
  ): Due[] {
    const after = new Map<ThreadId, ThreadState>();
    const found: Due[] = [];
    const planned = new Set(rest.map((d) => `${d.threadId} ${stepKey(d.step)}`));
    for (const d of inventories) {
      const o = outcomes.get(d);
      if (!o || !('done' in o) || o.done.type !== 'RecordCodexHomeInventoried') continue;
      const decided = decide(o.done, d.state);
      if (E.isLeft(decided)) continue;
      const state = decided.right.reduce(evolve, d.state);
      after.set(d.threadId, state);
      const known = new Set(artifactSteps(d.state).map(stepKey));
      for (const step of stepsFoundBy(o.done.result)) {
        const key = stepKey(step);
        if (known.has(key) || planned.has(`${d.threadId} ${key}`)) continue;
        planned.add(`${d.threadId} ${key}`);
        found.push({ threadId: d.threadId, state, step, attempt: 1 });
      }
    }
    return [...rest.map((d) => ({ ...d, state: after.get(d.threadId) ?? d.state })), ...found];
  }

  /** Every step given, each kind through its executor, all kinds at once; the outcomes into `outcomes`. */
  private async executeAll(due: Due[], outcomes: Map<Due, StepOutcome>): Promise<void> {
    const byKind = new Map<StepKind, Due[]>();
    for (const d of due) pushTo(byKind, d.step.kind, d);
    // The kinds that hand their work to other threads start first; the others run on this one.
    const kinds = [...byKind].sort(
      ([a], [b]) => Number(b === HANDED_OFF) - Number(a === HANDED_OFF),
    );
    await Promise.all(
      kinds.map(async ([kind, ds]) => {
        const results = await this.execute(kind, ds);
        ds.forEach((d, i) => {
          outcomes.set(d, results[i] ?? { failed: 'the executor gave no outcome' });
        });
      }),
    );
  }

  private execute(kind: StepKind, due: Due[]): Promise<StepOutcome[]> {
    // Each executor takes the steps of its own kind; the map above grouped them so.
    const run = this.o.executors[kind] as (
      work: readonly DueWork<PurgeStep>[],
    ) => Promise<StepOutcome[]>;
    return run(due);
  }

  private record(d: Due, outcome: StepOutcome): Command {
    if ('done' in outcome) return outcome.done;
    return {
      type: 'RecordStepFailed',
      failure: {
        threadId: d.threadId,
        step: stepKey(d.step),
        error: outcome.failed,
        attempt: d.attempt as never,
        nextRetryAtMs: this.o.clock() + retryDelayMs(d.attempt, this.retry),
      },
    };
  }

  /** Closes every thread the domain says is complete: leaves first, the root last. */
  private async completeReady(
    states: Map<ThreadId, Loaded>,
    ctx: CommandContext,
  ): Promise<ThreadId[]> {
    const completed: ThreadId[] = [];
    for (;;) {
      const ready: { threadId: ThreadId; children: ChildObservation[] }[] = [];
      const now = this.o.clock();
      for (const [threadId, { state }] of states) {
        if (state.status !== 'deleting') continue;
        if (planDeletion(threadId, state, { nowMs: now, children: [] }).kind === 'Purge') continue;
        const children = await this.observeChildren(state.children, states);
        if (planDeletion(threadId, state, { nowMs: now, children }).kind === 'Complete')
          ready.push({ threadId, children });
      }
      if (ready.length === 0) return completed;
      const results = await Promise.all(
        ready.map(({ threadId, children }) =>
          this.o.commands.handle({ type: 'CompleteDeletion', threadId, children }, ctx, {
            known: states.get(threadId),
          }),
        ),
      );
      let progressed = false;
      results.forEach((r, i) => {
        const { threadId } = ready[i]!;
        if (E.isLeft(r)) {
          states.delete(threadId); // decided elsewhere meanwhile (another worker): leave it to the next pass
          return;
        }
        states.set(threadId, r.right);
        if (r.right.events.length > 0) {
          completed.push(threadId);
          progressed = true;
        }
      });
      if (!progressed) return completed;
    }
  }

  private async observeChildren(
    children: readonly ThreadId[],
    states: Map<ThreadId, Loaded>,
  ): Promise<ChildObservation[]> {
    return Promise.all(
      children.map(async (child) =>
        observeChild(child, (states.get(child) ?? (await this.o.commands.repo.load(child))).state),
      ),
    );
  }
}
