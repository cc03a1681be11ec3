import * as E from 'fp-ts/lib/Either.js';
import { type Command, PURGE_COMMANDS } from './commands.js';
import { artifactSteps, commitmentOf, pendingChildren, remainingSteps } from './deletionProcess.js';
import type { DomainError } from './errors.js';
import type { DomainEvent } from './events.js';
import type { ThreadId } from './ids.js';
import { stepDoneBy, stepKey } from './purgeSteps.js';
import { evolve, initialState, isStepDone, isTombstoned, type ThreadState } from './threadState.js';

export type { ThreadState };
export { evolve, initialState };

type Decision = E.Either<DomainError, DomainEvent[]>;

/** The command is taken: these events are what it records (none, if it was already done). */
const accept = (...events: DomainEvent[]): Decision => E.right(events);
/** The command is refused, and why; nothing is recorded. */
const reject = (e: DomainError): Decision => E.left(e);

/** The thread a command is about: the stream it must be decided on. */
export const targetOf = (c: Command): ThreadId => {
  switch (c.type) {
    case 'StartThread':
      return c.thread.threadId;
    case 'SpawnSubagent':
      return c.parentThreadId;
    case 'RecordRolloutPurged':
    case 'RecordSessionIndexPurged':
    case 'RecordCodexHomeInventoried':
    case 'RecordCodexDatabasePurged':
    case 'RecordHistoryFilePurged':
    case 'RecordContentShredded':
      return c.result.threadId;
    case 'RecordStepFailed':
      return c.failure.threadId;
    default:
      return c.threadId;
  }
};

/** The longest name a thread can have, in UTF-16 code units (characters, for most scripts), once trimmed. */
export const MAX_NAME_LENGTH = 4096;
export const EMPTY_NAME = 'name must not be empty';

/** Names are trimmed; an empty one, or one longer than MAX_NAME_LENGTH, is refused. */
export const normalizeName = (threadId: ThreadId, raw: string): E.Either<DomainError, string> => {
  const name = raw.trim();
  if (name.length === 0) return E.left({ kind: 'InvalidName', threadId, reason: EMPTY_NAME });
  if (name.length > MAX_NAME_LENGTH) {
    return E.left({
      kind: 'InvalidName',
      threadId,
      reason: `must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`,
    });
  }
  return E.right(name);
};

/** The longest reason a waiver can give, in UTF-16 code units, once trimmed (as names). */
export const MAX_REASON_LENGTH = 4096;
export const EMPTY_REASON = 'reason must not be empty';

/** Reasons are trimmed; an empty one, or one longer than MAX_REASON_LENGTH, is refused. */
export const normalizeReason = (threadId: ThreadId, raw: string): E.Either<DomainError, string> => {
  const reason = raw.trim();
  if (reason.length === 0) return E.left({ kind: 'InvalidReason', threadId, reason: EMPTY_REASON });
  if (reason.length > MAX_REASON_LENGTH) {
    return E.left({
      kind: 'InvalidReason',
      threadId,
      reason: `reason must be at most ${MAX_REASON_LENGTH} characters, got ${reason.length}`,
    });
  }
  return E.right(reason);
};

const tombstoneStatus = (s: ThreadState): 'deleting' | 'deleted' =>
  s.status === 'deleted' ? 'deleted' : 'deleting';

/** decide(command, state): the events a command produces on its thread's stream, or why not. */
export const decide = (c: Command, s: ThreadState): Decision => {
  const id = targetOf(c);
  if (s.started && s.started.threadId !== id)
    return reject({ kind: 'WrongThread', expected: s.started.threadId, got: id });

  if (isTombstoned(s) && !PURGE_COMMANDS.has(c.type)) {
    return c.type === 'DeleteThread'
      ? reject({ kind: 'AlreadyDeleted', threadId: id, status: tombstoneStatus(s) })
      : reject({ kind: 'ThreadTombstoned', threadId: id, status: tombstoneStatus(s) });
  }

  switch (c.type) {
    case 'StartThread': {
      if (s.status !== 'absent') return reject({ kind: 'ThreadAlreadyExists', threadId: id });
      // A thread is never its own parent: no walk up the spawn graph may loop on it.
      if (c.thread.parentThreadId === id) return reject({ kind: 'SelfSpawn', threadId: id });
      if (c.thread.name === null) return accept({ type: 'ThreadStarted', data: c.thread });
      return E.map((name: string): DomainEvent[] => [
        { type: 'ThreadStarted', data: { ...c.thread, name } },
      ])(normalizeName(id, c.thread.name));
    }
    case 'SpawnSubagent':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      if (c.childThreadId === id) return reject({ kind: 'SelfSpawn', threadId: id });
      // A retried spawn finds its edge already there: nothing more to record.
      if (s.children.includes(c.childThreadId)) return accept();
      return accept({
        type: 'SubagentSpawned',
        data: { parentThreadId: id, childThreadId: c.childThreadId },
      });
    case 'RenameThread':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      if (s.archived) return reject({ kind: 'ThreadArchived', threadId: id });
      return E.map((name: string): DomainEvent[] => [
        { type: 'ThreadRenamed', data: { threadId: id, name, indexedIn: c.indexedIn } },
      ])(normalizeName(id, c.name));
    case 'UpdateThread':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      return accept({ type: 'ThreadUpdated', data: { threadId: id, updatedAtMs: c.updatedAtMs } });
    case 'ArchiveThread':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      if (s.archived) return reject({ kind: 'AlreadyArchived', threadId: id });
      return accept({ type: 'ThreadArchived', data: { threadId: id, rolloutPath: c.rolloutPath } });
    case 'UnarchiveThread':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      if (!s.archived) return reject({ kind: 'NotArchived', threadId: id });
      return accept({
        type: 'ThreadUnarchived',
        data: { threadId: id, rolloutPath: c.rolloutPath },
      });
    case 'DeleteThread':
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      return accept({
        type: 'ThreadDeleteRequested',
        data: { threadId: id, rootThreadId: id, reason: c.reason, commits: commitmentOf(s) },
      });
    case 'TombstoneDescendant':
      // Written even into a stream that does not exist yet, so that a late start is refused.
      if (isTombstoned(s)) return accept();
      return accept({
        type: 'ThreadDeleteRequested',
        data: {
          threadId: id,
          rootThreadId: c.rootThreadId,
          reason: null,
          commits: commitmentOf(s),
        },
      });
    case 'RecordRolloutPurged':
    case 'RecordSessionIndexPurged':
    case 'RecordCodexHomeInventoried':
    case 'RecordCodexDatabasePurged':
    case 'RecordHistoryFilePurged':
    case 'RecordContentShredded': {
      const event = stepEvent(c);
      const key = stepDoneBy(event)!.key;
      // A tombstone is forever: a rollout or an index line that turns up after the deletion is
      // purged and recorded too.
      const lateArtifact =
        c.type === 'RecordRolloutPurged' || c.type === 'RecordSessionIndexPurged';
      if (s.status !== 'deleting' && !(lateArtifact && s.status === 'deleted'))
        return notDeleting(s, id, key);
      if (isStepDone(s, key))
        return reject({ kind: 'StepAlreadyRecorded', threadId: id, step: key });
      return accept(event);
    }
    case 'RecordStepFailed':
      if (s.status !== 'deleting') return notDeleting(s, id, c.failure.step);
      return accept({ type: 'DeletionStepFailed', data: c.failure });
    case 'WaiveDeletionStep': {
      if (s.status === 'absent') return reject({ kind: 'ThreadNotFound', threadId: id });
      if (s.status === 'live') return reject({ kind: 'NotTombstoned', threadId: id });
      if (s.status === 'deleted') return reject({ kind: 'DeletionComplete', threadId: id });
      const planned = artifactSteps(s).map(stepKey);
      if (!planned.includes(c.step)) {
        const steps = remainingSteps(s).map(stepKey);
        return reject({ kind: 'UnknownDeletionStep', threadId: id, step: c.step, steps });
      }
      if (isStepDone(s, c.step))
        return reject({ kind: 'StepAlreadyRecorded', threadId: id, step: c.step });
      return E.map((reason: string): DomainEvent[] => [
        { type: 'DeletionStepWaived', data: { threadId: id, step: c.step, reason } },
      ])(normalizeReason(id, c.reason));
    }
    case 'CompleteDeletion': {
      if (s.status !== 'deleting') return notDeleting(s, id, 'complete');
      const remaining = [
        ...remainingSteps(s).map(stepKey),
        ...pendingChildren(id, s, c.children).map((child) => `child:${child}`),
      ];
      if (remaining.length > 0)
        return reject({ kind: 'DeletionIncomplete', threadId: id, remaining });
      return accept({
        type: 'ThreadDeleted',
        data: { threadId: id, rootThreadId: s.rootThreadId ?? id },
      });
    }
  }
};

type RecordCommand = Extract<
  Command,
  {
    type:
      | 'RecordRolloutPurged'
      | 'RecordSessionIndexPurged'
      | 'RecordCodexHomeInventoried'
      | 'RecordCodexDatabasePurged'
      | 'RecordHistoryFilePurged'
      | 'RecordContentShredded';
  }
>;

/** The event that records a purge step done. */
const stepEvent = (c: RecordCommand): DomainEvent => {
  switch (c.type) {
    case 'RecordRolloutPurged':
      return { type: 'RolloutPurged', data: c.result };
    case 'RecordSessionIndexPurged':
      return { type: 'SessionIndexPurged', data: c.result };
    case 'RecordCodexHomeInventoried':
      return { type: 'CodexHomeInventoried', data: c.result };
    case 'RecordCodexDatabasePurged':
      return { type: 'CodexDatabasePurged', data: c.result };
    case 'RecordHistoryFilePurged':
      return { type: 'HistoryFilePurged', data: c.result };
    case 'RecordContentShredded':
      return { type: 'ThreadContentShredded', data: c.result };
  }
};

const notDeleting = (s: ThreadState, threadId: ThreadId, step: string): Decision =>
  s.status === 'deleted'
    ? reject({ kind: 'StepAlreadyRecorded', threadId, step })
    : reject({ kind: 'NotTombstoned', threadId });

/** The thread decider, whole: what its specifications (and any runner) are written against. */
export const threadDecider = { decide, evolve, initialState } as const;
