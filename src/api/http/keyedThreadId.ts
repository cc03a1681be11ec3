import { createHash } from 'node:crypto';
import type { ThreadId } from '../../domain/ids.js';

/**
 * The id of a thread started with an Idempotency-Key and no `threadId`: derived from the caller
 * and the key (a UUIDv8 of their SHA-256), so every retry, on any instance, after any crash,
 * names the same stream, where the first start recorded the key.
 */
export const threadIdForKey = (subject: string, key: string): ThreadId => {
  const b = createHash('sha256').update(`${subject}\n${key}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  const groups = [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)];
  return groups.join('-') as ThreadId;
};
