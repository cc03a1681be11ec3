import * as t from 'io-ts';
import { ChildObservation } from './deletionProcess.js';
import {
  CodexDatabasePurged,
  CodexHomeInventoried,
  DeletionStepFailed,
  HistoryFilePurged,
  nullable,
  RolloutPurged,
  SessionIndexPurged,
  ThreadContentShredded,
  ThreadStarted,
} from './events.js';
import { ThreadId } from './ids.js';
import { FiniteNumber } from './numbers.js';

/** Start a thread: a root (`parentThreadId: null`) or a subagent whose spawn edge is already on its parent. */
export const StartThread = t.type({ type: t.literal('StartThread'), thread: ThreadStarted });

/** Record the spawn edge on the parent's stream; the child's own stream is started afterwards. */
export const SpawnSubagent = t.type({
  type: t.literal('SpawnSubagent'),
  parentThreadId: ThreadId,
  childThreadId: ThreadId,
});

/** `indexedIn`: the session index file the name is also written to, when the thread lives in a Codex home. */
export const RenameThread = t.type({
  type: t.literal('RenameThread'),
  threadId: ThreadId,
  name: t.string,
  indexedIn: nullable(t.string),
});

/** The thread's rollout was modified (seen by the Codex home import). */
export const UpdateThread = t.type({
  type: t.literal('UpdateThread'),
  threadId: ThreadId,
  updatedAtMs: FiniteNumber,
});

export const ArchiveThread = t.type({
  type: t.literal('ArchiveThread'),
  threadId: ThreadId,
  rolloutPath: nullable(t.string),
});

export const UnarchiveThread = t.type({
  type: t.literal('UnarchiveThread'),
  threadId: ThreadId,
  rolloutPath: nullable(t.string),
});

/** Delete a thread and its subtree, as asked by a user. */
export const DeleteThread = t.type({
  type: t.literal('DeleteThread'),
  threadId: ThreadId,
  reason: nullable(t.string),
});

/** The cascade: tombstone a descendant, even one whose stream does not exist yet. */
export const TombstoneDescendant = t.type({
  type: t.literal('TombstoneDescendant'),
  threadId: ThreadId,
  rootThreadId: ThreadId,
});

/** The worker's purge steps: it did the I/O and records what happened. */
export const RecordRolloutPurged = t.type({
  type: t.literal('RecordRolloutPurged'),
  result: RolloutPurged,
});
export const RecordSessionIndexPurged = t.type({
  type: t.literal('RecordSessionIndexPurged'),
  result: SessionIndexPurged,
});
export const RecordCodexHomeInventoried = t.type({
  type: t.literal('RecordCodexHomeInventoried'),
  result: CodexHomeInventoried,
});
export const RecordCodexDatabasePurged = t.type({
  type: t.literal('RecordCodexDatabasePurged'),
  result: CodexDatabasePurged,
});
export const RecordHistoryFilePurged = t.type({
  type: t.literal('RecordHistoryFilePurged'),
  result: HistoryFilePurged,
});
export const RecordContentShredded = t.type({
  type: t.literal('RecordContentShredded'),
  result: ThreadContentShredded,
});
export const RecordStepFailed = t.type({
  type: t.literal('RecordStepFailed'),
  failure: DeletionStepFailed,
});

/**
 * An operator settles a purge step that can never succeed, with a reason: the deletion completes
 * without it. `step`: the step's key as the deletion record shows it (`stepKey`).
 */
export const WaiveDeletionStep = t.type({
  type: t.literal('WaiveDeletionStep'),
  threadId: ThreadId,
  step: t.string,
  reason: t.string,
});

/** Close a deletion. `children`: the thread's children as their own streams show them. */
export const CompleteDeletion = t.type({
  type: t.literal('CompleteDeletion'),
  threadId: ThreadId,
  children: t.array(ChildObservation),
});

export const Command = t.union([
  StartThread,
  SpawnSubagent,
  RenameThread,
  UpdateThread,
  ArchiveThread,
  UnarchiveThread,
  DeleteThread,
  TombstoneDescendant,
  RecordRolloutPurged,
  RecordSessionIndexPurged,
  RecordCodexHomeInventoried,
  RecordCodexDatabasePurged,
  RecordHistoryFilePurged,
  RecordContentShredded,
  RecordStepFailed,
  WaiveDeletionStep,
  CompleteDeletion,
]);
export type Command = t.TypeOf<typeof Command>;

/** The commands that a tombstoned thread still accepts. */
export const PURGE_COMMANDS: ReadonlySet<Command['type']> = new Set([
  'TombstoneDescendant',
  'RecordRolloutPurged',
  'RecordSessionIndexPurged',
  'RecordCodexHomeInventoried',
  'RecordCodexDatabasePurged',
  'RecordHistoryFilePurged',
  'RecordContentShredded',
  'RecordStepFailed',
  'WaiveDeletionStep',
  'CompleteDeletion',
]);
