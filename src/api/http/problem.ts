import type { FastifyReply } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import { describeHandleError, type HandleError } from '../../app/handleError.js';

/** RFC 9457 problem details. `type` is stable per kind of problem: clients may switch on it. */
export type Problem = { type: string; title: string; status: number; detail: string } & Record<
  string,
  unknown
>;

const TYPE_BASE = 'https://thread-ledger.dev/problems/';

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export const problem = (
  kind: string,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): ProblemError =>
  new ProblemError({ type: `${TYPE_BASE}${kind}`, title, status, detail, ...extra });

export const sendProblem = (reply: FastifyReply, p: Problem): FastifyReply =>
  reply.code(p.status).type('application/problem+json').send(p);

export const invalid = (detail: string, errors: { field: string; reason: string }[] = []) =>
  problem('validation', 400, 'The request is not valid', detail, errors.length ? { errors } : {});

/** A refused command, as a problem: the domain error's kind is the problem's type. */
export const fromHandleError = (e: HandleError): ProblemError => {
  // Input that cannot be recorded is invalid input: a validation problem naming the fields.
  if (e.kind === 'UnrecordableEvent') return invalid(describeHandleError(e), [...e.errors]);
  if (e.kind === 'InvalidReason')
    return invalid(describeHandleError(e), [{ field: 'reason', reason: e.reason }]);
  if (e.kind === 'InvalidRolloutPath')
    return invalid(describeHandleError(e), [{ field: 'rolloutPath', reason: e.reason }]);
  const detail =
    e.kind === 'TooManyConflicts'
      ? `too many concurrent changes to thread ${e.threadId}; try again`
      : describeHandleError(e);
  const kebab = e.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const status: Record<HandleError['kind'], number> = {
    ThreadNotFound: 404,
    ThreadTombstoned: 410,
    AlreadyDeleted: 409,
    ThreadAlreadyExists: 409,
    ParentTombstoned: 409,
    SpawnEdgeMissing: 409,
    SelfSpawn: 400,
    InvalidName: 400,
    ThreadArchived: 409,
    AlreadyArchived: 409,
    NotArchived: 409,
    NotTombstoned: 409,
    StepAlreadyRecorded: 409,
    DeletionIncomplete: 409,
    DeletionComplete: 409,
    UnknownDeletionStep: 404,
    InvalidReason: 400,
    WrongThread: 400,
    TooManyConflicts: 503,
    IdempotencyKeyReused: 422,
    UnrecordableEvent: 400,
    InvalidRolloutPath: 400,
  };
  return problem(kebab, status[e.kind], e.kind.replace(/([a-z])([A-Z])/g, '$1 $2'), detail);
};

/** The outcome of a command that was applied, or its refusal thrown as a problem. */
export const appliedOrThrow = <A>(r: E.Either<HandleError, A>): A => {
  if (E.isLeft(r)) throw fromHandleError(r.left);
  return r.right;
};
