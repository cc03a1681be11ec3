import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../../domain/metadata.js';
import type { Answer } from './answer.js';
import type { Principal } from './auth.js';
import type { IdempotencyStore } from './idempotencyStore.js';
import { invalid, problem } from './problem.js';
import { requestIdentity, requestText } from './requestIdentity.js';

/** The Idempotency-Key of a request; none when absent (or sent twice, not one key). */
export const idempotencyKeyOf = (request: FastifyRequest): string | null => {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' ? key : null;
};

/**
 * Who and which request, for the metadata of every event the command appends; with a key, the
 * key and what identifies the request, so that a retry on any instance finds it done in the log.
 */
export const commandContextOf = (
  request: FastifyRequest,
  principal: Principal,
  key: string | null,
): CommandContext => ({
  actor: principal.subject,
  requestId: request.id,
  causationId: null,
  ...(key === null
    ? {}
    : {
        idempotency: { key, request: requestIdentity(request.method, request.url, request.body) },
      }),
});

export type AnswerOnceDeps = { idempotency: IdempotencyStore; clock: () => number };

/**
 * Runs a keyed command at most once per subject and key: a retry of the same request gets the
 * first answer again (`idempotent-replayed: true`); the key used for another request is 422, and
 * while the first still runs, 409. A command that fails, or answers with a stream, leaves no
 * answer behind: a retry runs it again.
 */
export const answerOnce = async (
  deps: AnswerOnceDeps,
  request: FastifyRequest,
  subject: string,
  key: string,
  run: () => Promise<Answer>,
): Promise<Answer> => {
  if (key.length === 0 || key.length > 200)
    throw invalid('Idempotency-Key must be 1 to 200 characters');
  const text = requestText(request.method, request.url, request.body);
  const seen = deps.idempotency.reserve(subject, key, text, deps.clock());
  if (seen === 'mismatch') {
    const detail = `the key ${key} was used for a different request`;
    throw problem('idempotency-key-reused', 422, 'Idempotency-Key reused', detail);
  }
  if (seen === 'in-progress') {
    const detail = `a request with the key ${key} is still running; retry later`;
    throw problem('idempotency-key-in-use', 409, 'Request in progress', detail);
  }
  if (seen !== 'reserved')
    return { status: seen.status, body: seen.body, headers: { 'idempotent-replayed': 'true' } };
  let answer: Answer;
  try {
    answer = await run();
  } catch (err) {
    deps.idempotency.release(subject, key);
    throw err;
  }
  if ('status' in answer)
    deps.idempotency.remember(subject, key, { status: answer.status, body: answer.body });
  else deps.idempotency.release(subject, key);
  return answer;
};
