import type { DomainEvent, ThreadStarted } from './events.js';
import type { ThreadId } from './ids.js';
import { stepDoneBy } from './purgeSteps.js';

export type ThreadStatus = 'absent' | 'live' | 'deleting' | 'deleted';

/**
 * Everything the decider and the deletion process need to know about one thread, and no more:
 * no decision depends on user content, so it is not opened to load a thread.
 */
export type ThreadState = {
  readonly status: ThreadStatus;
  readonly started: ThreadStarted | null;
  readonly archived: boolean;
  readonly children: readonly ThreadId[];
  /** Every place the rollout has been recorded at; all are purged on deletion. */
  readonly rolloutPaths: readonly string[];
  /** Where the rollout is now (the last place recorded), or null. */
  readonly rolloutPath: string | null;
  /** Session index files the thread's name was written to; each is rewritten without it. */
  readonly indexFiles: readonly string[];
  /** What its deletion found in its Codex home, beside its rollouts and index files. */
  readonly historyFiles: readonly string[];
  readonly databases: readonly string[];
  /** The keys of the purge steps recorded as done, or waived by an operator (see purgeSteps.ts). */
  readonly stepsDone: readonly string[];
  readonly rootThreadId: ThreadId | null;
  /** Failed attempts and the earliest next try, by purge step key. */
  readonly attempts: Readonly<Record<string, number>>;
  readonly retryAtMs: Readonly<Record<string, number>>;
};

export const initialState: ThreadState = {
  status: 'absent',
  started: null,
  archived: false,
  children: [],
  rolloutPaths: [],
  rolloutPath: null,
  indexFiles: [],
  historyFiles: [],
  databases: [],
  stepsDone: [],
  rootThreadId: null,
  attempts: {},
  retryAtMs: {},
};

const withPath = (paths: readonly string[], p: string | null): readonly string[] =>
  p === null || paths.includes(p) ? paths : [...paths, p];

const withPaths = (paths: readonly string[], more: readonly string[]): readonly string[] =>
  more.reduce(withPath, paths);

/** The step an event records, as done. */
const recordStep = (s: ThreadState, e: DomainEvent): ThreadState => {
  const done = stepDoneBy(e);
  return done ? { ...s, stepsDone: withPath(s.stepsDone, done.key) } : s;
};

export const isStepDone = (s: ThreadState, key: string): boolean => s.stepsDone.includes(key);

/** A thread is a child of `parent` if it was started under it, or never started (a tombstone-only stream). */
export const isChildOf = (s: ThreadState, parent: ThreadId): boolean =>
  !s.started || s.started.parentThreadId === parent;

export const isTombstoned = (s: ThreadState): boolean =>
  s.status === 'deleting' || s.status === 'deleted';

export const evolve = (s: ThreadState, e: DomainEvent): ThreadState => {
  switch (e.type) {
    case 'ThreadStarted':
      return {
        ...s,
        status: 'live',
        started: e.data,
        rolloutPaths: withPath(s.rolloutPaths, e.data.rolloutPath),
        rolloutPath: e.data.rolloutPath,
      };
    case 'SubagentSpawned':
      return s.children.includes(e.data.childThreadId)
        ? s
        : { ...s, children: [...s.children, e.data.childThreadId] };
    case 'ThreadRenamed':
      return { ...s, indexFiles: withPath(s.indexFiles, e.data.indexedIn) }; // no decision depends on the name itself
    case 'ThreadUpdated':
      return s;
    case 'ThreadArchived':
      return {
        ...s,
        archived: true,
        rolloutPaths: withPath(s.rolloutPaths, e.data.rolloutPath),
        rolloutPath: e.data.rolloutPath ?? s.rolloutPath,
      };
    case 'ThreadUnarchived':
      return {
        ...s,
        archived: false,
        rolloutPaths: withPath(s.rolloutPaths, e.data.rolloutPath),
        rolloutPath: e.data.rolloutPath ?? s.rolloutPath,
      };
    case 'ThreadDeleteRequested':
      return { ...s, status: 'deleting', rootThreadId: e.data.rootThreadId };
    case 'CodexHomeInventoried':
      return recordStep(
        {
          ...s,
          rolloutPaths: withPaths(s.rolloutPaths, e.data.rollouts),
          indexFiles: withPaths(s.indexFiles, e.data.sessionIndexFiles),
          historyFiles: withPaths(s.historyFiles, e.data.historyFiles),
          databases: withPaths(s.databases, e.data.databases),
        },
        e,
      );
    case 'RolloutPurged':
    case 'SessionIndexPurged':
    case 'HistoryFilePurged':
    case 'CodexDatabasePurged':
    case 'ThreadContentShredded':
    case 'DeletionStepWaived':
      return recordStep(s, e);
    case 'DeletionStepFailed':
      return {
        ...s,
        attempts: { ...s.attempts, [e.data.step]: e.data.attempt },
        retryAtMs: { ...s.retryAtMs, [e.data.step]: e.data.nextRetryAtMs },
      };
    case 'ThreadDeleted':
      return { ...s, status: 'deleted' };
  }
};

export const fold = (
  events: Iterable<DomainEvent>,
  from: ThreadState = initialState,
): ThreadState => {
  let s = from;
  for (const e of events) s = evolve(s, e);
  return s;
};
