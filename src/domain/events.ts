import * as t from 'io-ts';
import { ThreadId } from './ids.js';
import { FiniteNumber } from './numbers.js';

export const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null]);

/** The Codex `ThreadSourceKind`s (see shared/codex-protocol). */
export const SourceKind = t.keyof({
  cli: null,
  vscode: null,
  exec: null,
  appServer: null,
  subAgent: null,
  subAgentReview: null,
  subAgentCompact: null,
  subAgentThreadSpawn: null,
  subAgentOther: null,
  unknown: null,
});
export type SourceKind = t.TypeOf<typeof SourceKind>;

export const GitInfo = t.type({
  sha: nullable(t.string),
  branch: nullable(t.string),
  originUrl: nullable(t.string),
});

const SubAgentSource = t.union([
  t.keyof({ review: null, compact: null, memory_consolidation: null }),
  t.type({
    thread_spawn: t.intersection([
      t.type({ parent_thread_id: t.string, depth: FiniteNumber }),
      t.partial({
        agent_path: nullable(t.string),
        agent_nickname: nullable(t.string),
        agent_role: nullable(t.string),
      }),
    ]),
  }),
  t.type({ other: t.string }),
]);

/** Codex's `SessionSource`, in its wire form (camelCase `subAgent`). */
export const SessionSource = t.union([
  t.keyof({ cli: null, vscode: null, exec: null, appServer: null, unknown: null }),
  t.type({ custom: t.string }),
  t.type({ subAgent: SubAgentSource }),
]);
export type SessionSource = t.TypeOf<typeof SessionSource>;

/** What a thread imported from a Codex home carries beyond the common fields. */
export const CodexThreadMeta = t.type({
  source: SessionSource,
  forkedFromId: nullable(t.string),
  agentNickname: nullable(t.string),
  agentRole: nullable(t.string),
  threadSource: nullable(t.string),
});
export type CodexThreadMeta = t.TypeOf<typeof CodexThreadMeta>;

/**
 * User content (names, previews). Sealed with the thread's key in the log; it reads back as
 * null once the key is shredded, so a deleted thread's content cannot come back on replay.
 */
export const Content = nullable(t.string);

export const ThreadStarted = t.type({
  threadId: ThreadId,
  sessionId: t.string,
  parentThreadId: nullable(ThreadId),
  depth: t.Int,
  sourceKind: SourceKind,
  cwd: t.string,
  modelProvider: t.string,
  originator: nullable(t.string),
  cliVersion: nullable(t.string),
  gitInfo: nullable(GitInfo),
  createdAtMs: FiniteNumber,
  rolloutPath: nullable(t.string),
  preview: Content,
  name: Content,
  codex: nullable(CodexThreadMeta),
  /**
   * When the thread last changed, if known at its start: an imported rollout's modification time
   * (Codex's `updatedAt`), so that an import records one event per thread, not a start and an update.
   */
  updatedAtMs: nullable(FiniteNumber),
});
/** A thread's `ThreadStarted` payload: what it was started with. */
export type ThreadStarted = t.TypeOf<typeof ThreadStarted>;

/** The spawn edge, on the parent's stream. */
export const SubagentSpawned = t.type({
  parentThreadId: ThreadId,
  childThreadId: ThreadId,
});

/** `indexedIn`: the session index file the name was also written to (Codex's), if any. */
export const ThreadRenamed = t.type({
  threadId: ThreadId,
  name: Content,
  indexedIn: nullable(t.string),
});

/** The thread's rollout changed: its new modification time (Codex's `updatedAt`). */
export const ThreadUpdated = t.type({ threadId: ThreadId, updatedAtMs: FiniteNumber });

/** `rolloutPath`: where the rollout now lives, when the archive moved it. */
export const ThreadArchived = t.type({ threadId: ThreadId, rolloutPath: nullable(t.string) });
export const ThreadUnarchived = t.type({ threadId: ThreadId, rolloutPath: nullable(t.string) });

/**
 * What a tombstone commits to: the children its stream names (spawn edges; none can be added after
 * it) and the key of every purge step its history calls for (`stepKey`). Steps found later (the
 * Codex home inventory) are committed by the event that finds them. A deletion receipt is checked
 * complete against these: every child deleted, every step settled.
 */
export const DeletionCommitment = t.type({
  children: t.array(ThreadId),
  steps: t.array(t.string),
});
export type DeletionCommitment = t.TypeOf<typeof DeletionCommitment>;

/** The tombstone: the commit point of a deletion. `commits` is null on tombstones of schema v1. */
export const ThreadDeleteRequested = t.type({
  threadId: ThreadId,
  rootThreadId: ThreadId,
  reason: nullable(t.string),
  commits: nullable(DeletionCommitment),
});

export const RolloutPurged = t.type({
  threadId: ThreadId,
  path: t.string,
  outcome: t.keyof({ removed: null, absent: null }),
  sizeBytes: nullable(FiniteNumber),
  sha256: nullable(t.string),
});

/** The thread's lines are gone from a session index file (rewritten without them). */
export const SessionIndexPurged = t.type({
  threadId: ThreadId,
  path: t.string,
  linesRemoved: t.Int,
});

/**
 * What a thread left in its Codex home, found when its deletion began: rollouts carrying its id
 * (by file name or by `session_meta`), the session index and history files, Codex's databases.
 * Each becomes a purge step of its own; together they are what the deletion had to purge.
 */
export const CodexHomeInventoried = t.type({
  threadId: ThreadId,
  home: t.string,
  rollouts: t.array(t.string),
  sessionIndexFiles: t.array(t.string),
  historyFiles: t.array(t.string),
  databases: t.array(t.string),
});
export type CodexHomeInventoried = t.TypeOf<typeof CodexHomeInventoried>;

/** The thread's rows are gone from one of Codex's databases, and no byte of them is left in its files. */
export const CodexDatabasePurged = t.type({
  threadId: ThreadId,
  path: t.string,
  tables: t.array(t.type({ table: t.string, rows: t.Int })),
});

/** The thread's lines are gone from a history file (`history.jsonl`, rewritten without them). */
export const HistoryFilePurged = t.type({
  threadId: ThreadId,
  path: t.string,
  linesRemoved: t.Int,
});

export const ThreadContentShredded = t.type({
  threadId: ThreadId,
  outcome: t.keyof({ destroyed: null, absent: null }),
});

export const DeletionStepFailed = t.type({
  threadId: ThreadId,
  step: t.string,
  error: t.string,
  attempt: t.Int,
  nextRetryAtMs: FiniteNumber,
});

/**
 * An operator's decision: a purge step that can never succeed (a rollout outside today's roots,
 * recorded by an older version) is settled without being done. `step` is its key (`stepKey`, as
 * `DeletionStepFailed.step`); `reason` says why; who decided is the event's `actor`. The deletion
 * then completes without it, and its record shows the step as waived.
 */
export const DeletionStepWaived = t.type({
  threadId: ThreadId,
  step: t.string,
  reason: t.string,
});

export const ThreadDeleted = t.type({ threadId: ThreadId, rootThreadId: ThreadId });

/** The one definition of every event's payload, by event type. */
export const eventDataCodecs = {
  ThreadStarted,
  SubagentSpawned,
  ThreadRenamed,
  ThreadUpdated,
  ThreadArchived,
  ThreadUnarchived,
  ThreadDeleteRequested,
  RolloutPurged,
  SessionIndexPurged,
  CodexHomeInventoried,
  CodexDatabasePurged,
  HistoryFilePurged,
  ThreadContentShredded,
  DeletionStepFailed,
  DeletionStepWaived,
  ThreadDeleted,
} as const;

type Codecs = typeof eventDataCodecs;
export type EventType = keyof Codecs;
export type DomainEvent = { [K in EventType]: { type: K; data: t.TypeOf<Codecs[K]> } }[EventType];
export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>;

export const isEventType = (s: string): s is EventType => Object.hasOwn(eventDataCodecs, s);

/** The fields of each event that hold user content, sealed at rest. */
export const contentFields: { readonly [K in EventType]?: readonly (keyof EventOf<K>['data'])[] } =
  {
    ThreadStarted: ['preview', 'name'],
    ThreadRenamed: ['name'],
  };
