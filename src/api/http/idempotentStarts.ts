import * as E from 'fp-ts/lib/Either.js';
import { createHash } from 'node:crypto';
import type { Ledger } from '../../app/ledger.js';
import type { EventOf } from '../../domain/events.js';
import { type ThreadId, streamOf } from '../../domain/ids.js';
import { normalizeName } from '../../domain/threadDecider.js';

type Started = EventOf<'ThreadStarted'>['data'];

/**
 * The id of a thread started with an Idempotency-Key and no `threadId`: derived from the caller
 * and the key (a UUIDv8 of their SHA-256), so every retry, on any instance, after any crash,
 * names the same stream, and the log itself refuses a second start.
 */
export const threadIdForKey = (subject: string, key: string): ThreadId => {
  const b = createHash('sha256').update(`${subject}\n${key}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as ThreadId;
};

/** What a retry must repeat to be the same start; `createdAtMs` too when the caller gave it. */
const SAME: readonly (keyof Started)[] = ['parentThreadId', 'sourceKind', 'cwd', 'modelProvider', 'originator', 'cliVersion', 'rolloutPath', 'gitInfo', 'preview'];

/**
 * A start with a key-derived id was refused as already existing: the first attempt got through
 * (on another instance, or before a crash lost its answer). The same request by the same caller
 * gets that start's position; anything else is 'mismatch'.
 */
export const replayStart = async (
  ledger: Ledger,
  thread: Started,
  request: { subject: string; createdAtGiven: boolean },
): Promise<{ position: bigint } | 'mismatch'> => {
  const [first] = await ledger.store.readStream(streamOf(thread.threadId), { maxCount: 1 });
  if (!first) return 'mismatch';
  const [stored] = await ledger.codec.decodeMany([first]); // content opened, to compare it too
  if (stored?.event.type !== 'ThreadStarted' || stored.metadata.actor !== request.subject) return 'mismatch';
  const was = stored.event.data;
  const name = thread.name === null ? null : E.getOrElse(() => thread.name)(normalizeName(thread.threadId, thread.name));
  const same =
    SAME.every((k) => JSON.stringify(was[k]) === JSON.stringify(thread[k])) &&
    was.name === name &&
    (!request.createdAtGiven || was.createdAtMs === thread.createdAtMs);
  return same ? { position: first.position } : 'mismatch';
};
