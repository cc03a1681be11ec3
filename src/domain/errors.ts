import { showValue } from './fieldErrors.js';
import type { ThreadId } from './ids.js';

/** Every way a command can be refused. The domain returns these; it never throws. */
export type DomainError =
  | { kind: 'ThreadNotFound'; threadId: ThreadId }
  | { kind: 'ThreadAlreadyExists'; threadId: ThreadId }
  | { kind: 'ThreadTombstoned'; threadId: ThreadId; status: 'deleting' | 'deleted' }
  | { kind: 'AlreadyDeleted'; threadId: ThreadId; status: 'deleting' | 'deleted' }
  | { kind: 'ParentTombstoned'; parentThreadId: ThreadId }
  | { kind: 'SpawnEdgeMissing'; parentThreadId: ThreadId; childThreadId: ThreadId }
  | { kind: 'SelfSpawn'; threadId: ThreadId }
  | { kind: 'InvalidName'; threadId: ThreadId; reason: string }
  | { kind: 'ThreadArchived'; threadId: ThreadId }
  | { kind: 'AlreadyArchived'; threadId: ThreadId }
  | { kind: 'NotArchived'; threadId: ThreadId }
  | { kind: 'NotTombstoned'; threadId: ThreadId }
  | { kind: 'StepAlreadyRecorded'; threadId: ThreadId; step: string }
  | { kind: 'DeletionIncomplete'; threadId: ThreadId; remaining: string[] }
  /** A waiver for a thread whose deletion is complete: nothing is left to settle. */
  | { kind: 'DeletionComplete'; threadId: ThreadId }
  /** A waiver names a step the deletion does not have; `steps`: the ones still to settle. */
  | { kind: 'UnknownDeletionStep'; threadId: ThreadId; step: string; steps: string[] }
  /** A waiver's reason is required (not blank) and bounded. */
  | { kind: 'InvalidReason'; threadId: ThreadId; reason: string }
  | { kind: 'WrongThread'; expected: ThreadId; got: ThreadId }
  /** The rollout path a thread would record is not one its deletion could purge (see rolloutPath.ts). */
  | { kind: 'InvalidRolloutPath'; threadId: ThreadId; path: string; reason: string };

export const describeDomainError = (e: DomainError): string => {
  switch (e.kind) {
    case 'ThreadNotFound':
      return `thread ${e.threadId} not found`;
    case 'ThreadAlreadyExists':
      return `thread ${e.threadId} already exists`;
    case 'ThreadTombstoned':
      return `thread ${e.threadId} is ${e.status === 'deleted' ? 'deleted' : 'being deleted'}`;
    case 'AlreadyDeleted':
      return `thread ${e.threadId} is already ${e.status === 'deleted' ? 'deleted' : 'being deleted'}; nothing changed`;
    case 'ParentTombstoned':
      return `parent thread ${e.parentThreadId} is deleted or being deleted`;
    case 'SelfSpawn':
      return `thread ${e.threadId} cannot spawn itself`;
    case 'SpawnEdgeMissing':
      return `thread ${e.parentThreadId} has not spawned ${e.childThreadId}`;
    case 'InvalidName':
      return `invalid name for thread ${e.threadId}: ${e.reason}`;
    case 'ThreadArchived':
      return `thread ${e.threadId} is archived`;
    case 'AlreadyArchived':
      return `thread ${e.threadId} is already archived`;
    case 'NotArchived':
      return `thread ${e.threadId} is not archived`;
    case 'NotTombstoned':
      return `thread ${e.threadId} is not being deleted`;
    case 'StepAlreadyRecorded':
      return `step ${e.step} of thread ${e.threadId} is already recorded`;
    case 'DeletionIncomplete':
      return `deletion of ${e.threadId} is not complete: ${e.remaining.join(', ')}`;
    case 'DeletionComplete':
      return `the deletion of thread ${e.threadId} is complete: no step is left to waive`;
    case 'UnknownDeletionStep':
      return `the deletion of thread ${e.threadId} has no step ${showValue(e.step)}; steps not settled yet: ${e.steps.length ? e.steps.join(', ') : 'none'}`;
    case 'InvalidReason':
      return `invalid reason for thread ${e.threadId}: ${e.reason}`;
    case 'WrongThread':
      return `command for thread ${e.got} sent to thread ${e.expected}`;
    case 'InvalidRolloutPath':
      return `rolloutPath ${showValue(e.path)} of thread ${e.threadId} ${e.reason}`;
  }
};
