import { createHash } from 'node:crypto';
import type { Ledger } from '../../app/ledger.js';
import type { EventOf } from '../../domain/events.js';
import { type ThreadId, streamOf } from '../../domain/ids.js';

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

/** What a retry must repeat to be the same start (content is sealed in the log: not compared). */
const SAME: readonly (keyof Started)[] = ['parentThreadId', 'sourceKind', 'cwd', 'modelProvider', 'originator', 'cliVersion', 'rolloutPath'];

/**
 * A start with a key-derived id was refused as already existing: the first attempt got through
 * (on another instance, or before a crash lost its answer). The same request gets that start's
 * position; another request with the same key gets 'mismatch'.
 */
export const replayStart = async (ledger: Ledger, thread: Started): Promise<{ position: bigint } | 'mismatch'> => {
  const [first] = await ledger.store.readStream(streamOf(thread.threadId), { maxCount: 1 });
  const event = first ? ledger.codec.decodeSealed(first).event : null;
  if (!first || event?.type !== 'ThreadStarted') return 'mismatch';
  return SAME.every((k) => JSON.stringify(event.data[k]) === JSON.stringify(thread[k])) ? { position: first.position } : 'mismatch';
};
