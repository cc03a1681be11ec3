import type { ThreadId } from './ids.js';
import type { ThreadState } from './threadState.js';

/** The artifacts of a tombstoned thread, each purged and recorded on its own. */
export type PurgeStep =
  | { kind: 'PurgeRollout'; path: string }
  | { kind: 'PurgeSessionIndex'; path: string }
  | { kind: 'ShredContent' };

export type NextStep =
  | { kind: 'Run'; step: PurgeStep; attempt: number }
  | { kind: 'Backoff'; untilMs: number }
  | { kind: 'AwaitChildren'; children: readonly ThreadId[] }
  | { kind: 'Complete' }
  | { kind: 'Done' }
  | { kind: 'NotDeleting' };

export type RetryPolicy = { readonly baseMs: number; readonly capMs: number };
export const defaultRetryPolicy: RetryPolicy = { baseMs: 500, capMs: 5 * 60_000 };

/** Capped exponential backoff: base, 2*base, 4*base, ... never above the cap. */
export const retryDelayMs = (attempt: number, p: RetryPolicy = defaultRetryPolicy): number =>
  Math.min(p.capMs, p.baseMs * 2 ** Math.max(0, attempt - 1));

export const stepKey = (s: PurgeStep): string => {
  switch (s.kind) {
    case 'PurgeRollout':
      return `rollout:${s.path}`;
    case 'PurgeSessionIndex':
      return `index:${s.path}`;
    case 'ShredContent':
      return 'content';
  }
};

/** A rollout's files: Codex may keep a compressed sibling (`.jsonl.zst`) beside it; it goes too. */
export const rolloutFilesOf = (path: string): string[] => [path, `${path}.zst`];

export const rolloutCandidates = (s: ThreadState): string[] => {
  const out: string[] = [];
  for (const p of s.rolloutPaths) {
    for (const c of rolloutFilesOf(p)) if (!out.includes(c)) out.push(c);
  }
  return out;
};

/** The purge steps of a thread that are not recorded yet. */
export const remainingSteps = (s: ThreadState): PurgeStep[] => {
  const steps: PurgeStep[] = rolloutCandidates(s)
    .filter((p) => !s.purgedPaths.includes(p))
    .map((path) => ({ kind: 'PurgeRollout', path }));
  for (const path of s.indexFiles) if (!s.purgedIndexFiles.includes(path)) steps.push({ kind: 'PurgeSessionIndex', path });
  if (!s.contentShredded) steps.push({ kind: 'ShredContent' });
  return steps;
};

/**
 * Given a thread's history (folded into its state), the next thing its deletion needs. Steps are
 * independent: one in backoff does not hold back the others. A thread completes only after every
 * step and every child: deepest first, root last.
 */
export const nextStep = (
  s: ThreadState,
  ctx: { readonly nowMs: number; readonly pendingChildren: readonly ThreadId[] },
): NextStep => {
  if (s.status === 'deleted') return { kind: 'Done' };
  if (s.status !== 'deleting') return { kind: 'NotDeleting' };
  const steps = remainingSteps(s);
  let earliest = Infinity;
  for (const step of steps) {
    const key = stepKey(step);
    const retryAt = s.retryAtMs[key] ?? 0;
    if (retryAt <= ctx.nowMs) return { kind: 'Run', step, attempt: (s.attempts[key] ?? 0) + 1 };
    earliest = Math.min(earliest, retryAt);
  }
  if (steps.length > 0) return { kind: 'Backoff', untilMs: earliest };
  if (ctx.pendingChildren.length > 0) return { kind: 'AwaitChildren', children: ctx.pendingChildren };
  return { kind: 'Complete' };
};
