import { type DomainError, describeDomainError } from '../domain/errors.js';
import type { SourceKind } from '../domain/events.js';
import { describeFieldErrors, type FieldError } from '../domain/fieldErrors.js';
import type { ThreadId } from '../domain/ids.js';

/** Why a command was not recorded: the domain's refusal, or what handling it met. */
export type HandleError =
  | DomainError
  | { kind: 'TooManyConflicts'; threadId: ThreadId; attempts: number }
  /** The Idempotency-Key was recorded on this thread for another request. */
  | { kind: 'IdempotencyKeyReused'; threadId: ThreadId; key: string }
  /** A spawn naming a source kind that is not a subagent's (see threadLifecycle.ts). */
  | { kind: 'NotASubagentKind'; threadId: ThreadId; sourceKind: SourceKind }
  /**
   * An event the command produced would not read back as the log stores it (a number JSON cannot
   * hold, a value its schema refuses): nothing was appended. `errors` name the event's fields.
   */
  | {
      kind: 'UnrecordableEvent';
      threadId: ThreadId;
      eventType: string;
      errors: readonly FieldError[];
    };

/** A refusal in words, for reports and logs. */
export const describeHandleError = (e: HandleError): string => {
  switch (e.kind) {
    case 'TooManyConflicts':
      return `too many concurrent changes to thread ${e.threadId} (${e.attempts} attempts)`;
    case 'IdempotencyKeyReused':
      return `the key ${e.key} was used for a different request`;
    case 'NotASubagentKind':
      return `a spawned thread is a subagent: sourceKind "${e.sourceKind}" is not a subagent kind (subAgentThreadSpawn when omitted)`;
    case 'UnrecordableEvent':
      return `${e.eventType} of thread ${e.threadId} would not read back from the log: ${describeFieldErrors(e.errors)}`;
    default:
      return describeDomainError(e);
  }
};
