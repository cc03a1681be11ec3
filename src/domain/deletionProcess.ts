import * as t from 'io-ts';
import type { CodexHomeInventoried, DeletionCommitment } from './events.js';
import { ThreadId } from './ids.js';
import { type PurgeStep, rolloutFilesOf, stepKey } from './purgeSteps.js';
import { isStepDone, type ThreadState } from './threadState.js';

/**
 * A child as its own stream shows it, observed when a parent's deletion is to be closed: the
 * decider, not the worker, judges whether it still holds the parent open.
 */
export const ChildObservation = t.type({
  threadId: ThreadId,
  /** The parent it was started under: null for a root, 'unstarted' for a tombstone-only stream. */
  startedUnder: t.union([ThreadId, t.null, t.literal('unstarted')]),
  status: t.keyof({ absent: null, live: null, deleting: null, deleted: null }),
});
export type ChildObservation = t.TypeOf<typeof ChildObservation>;

export const observeChild = (threadId: ThreadId, s: ThreadState): ChildObservation => ({
  threadId,
  startedUnder: s.started ? s.started.parentThreadId : 'unstarted',
  status: s.status,
});

export type RetryPolicy = { readonly baseMs: number; readonly capMs: number };
export const defaultRetryPolicy: RetryPolicy = { baseMs: 500, capMs: 5 * 60_000 };

/** Capped exponential backoff: base, 2*base, 4*base, ... never above the cap. */
export const retryDelayMs = (attempt: number, p: RetryPolicy = defaultRetryPolicy): number =>
  Math.min(p.capMs, p.baseMs * 2 ** Math.max(0, attempt - 1));

const rolloutCandidates = (s: ThreadState): string[] => {
  const out: string[] = [];
  for (const p of s.rolloutPaths) {
    for (const c of rolloutFilesOf(p)) if (!out.includes(c)) out.push(c);
  }
  return out;
};

/** A thread imported from a Codex home left more there than its rollout: its deletion looks. */
const livedInCodexHome = (s: ThreadState): boolean =>
  s.started !== null && s.started.codex !== null;

/** Every artifact the thread's history says it had, each a purge step. */
export const artifactSteps = (s: ThreadState): PurgeStep[] => [
  ...(livedInCodexHome(s) ? [{ kind: 'InventoryCodexHome' } as const] : []),
  ...rolloutCandidates(s).map((path) => ({ kind: 'PurgeRollout', path }) as const),
  ...s.indexFiles.map((path) => ({ kind: 'PurgeSessionIndex', path }) as const),
  ...s.historyFiles.map((path) => ({ kind: 'PurgeHistoryFile', path }) as const),
  ...s.databases.map((path) => ({ kind: 'PurgeCodexDatabase', path }) as const),
  { kind: 'ShredContent' },
];

/** The steps an inventory of the Codex home finds, as `artifactSteps` plans them once folded. */
export const stepsFoundBy = (found: CodexHomeInventoried): PurgeStep[] => [
  ...found.rollouts
    .flatMap(rolloutFilesOf)
    .map((path) => ({ kind: 'PurgeRollout', path }) as const),
  ...found.sessionIndexFiles.map((path) => ({ kind: 'PurgeSessionIndex', path }) as const),
  ...found.historyFiles.map((path) => ({ kind: 'PurgeHistoryFile', path }) as const),
  ...found.databases.map((path) => ({ kind: 'PurgeCodexDatabase', path }) as const),
];

/** What a tombstone decided on this history commits to: its children and every step it calls for. */
export const commitmentOf = (s: ThreadState): DeletionCommitment => ({
  children: [...s.children],
  steps: artifactSteps(s).map(stepKey),
});

/** The purge steps of a thread that are not recorded yet. */
export const remainingSteps = (s: ThreadState): PurgeStep[] =>
  artifactSteps(s).filter((step) => !isStepDone(s, stepKey(step)));

/** The children that hold a thread's deletion open: any not observed, and every observed child not deleted yet. */
export const pendingChildren = (
  self: ThreadId,
  s: ThreadState,
  observed: readonly ChildObservation[],
): ThreadId[] => {
  const byId = new Map(observed.map((c) => [c.threadId, c]));
  return s.children.filter((child) => {
    if (child === self) return false;
    const c = byId.get(child);
    if (!c) return true;
    // An edge to a thread that was started under another parent is not a child of this one.
    const isChild = c.startedUnder === 'unstarted' || c.startedUnder === self;
    return isChild && c.status !== 'deleted';
  });
};

export type DueStep = { readonly step: PurgeStep; readonly attempt: number };

export type DeletionPlan =
  | { kind: 'NotDeleting' }
  | { kind: 'Done' }
  /** Steps to run now, and when the earliest of those in backoff may run (null if none waits). */
  | { kind: 'Purge'; due: DueStep[]; retryAtMs: number | null }
  /** Every step done; the children named still have to be deleted first (deepest first, root last). */
  | { kind: 'AwaitChildren'; children: ThreadId[] }
  | { kind: 'Complete' };

/**
 * Given a thread's history (folded into its state) and its children as their streams show them,
 * what its deletion needs now. Steps are independent: one in backoff does not hold back the
 * others; a step found by one (the Codex home inventory) is planned in the next.
 */
export const planDeletion = (
  self: ThreadId,
  s: ThreadState,
  ctx: { readonly nowMs: number; readonly children: readonly ChildObservation[] },
): DeletionPlan => {
  if (s.status === 'deleted') return { kind: 'Done' };
  if (s.status !== 'deleting') return { kind: 'NotDeleting' };
  const steps = remainingSteps(s);
  if (steps.length > 0) {
    const due: DueStep[] = [];
    let retryAtMs: number | null = null;
    for (const step of steps) {
      const key = stepKey(step);
      const at = s.retryAtMs[key] ?? 0;
      if (at <= ctx.nowMs) due.push({ step, attempt: (s.attempts[key] ?? 0) + 1 });
      else retryAtMs = Math.min(retryAtMs ?? Infinity, at);
    }
    return { kind: 'Purge', due, retryAtMs };
  }
  const children = pendingChildren(self, s, ctx.children);
  return children.length > 0 ? { kind: 'AwaitChildren', children } : { kind: 'Complete' };
};
