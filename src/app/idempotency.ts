import type { CommandContext, EventMetadata } from '../domain/metadata.js';

/** How long a recorded Idempotency-Key answers for its command, as the HTTP layer's own record does. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

type KeyedCommand = { readonly request: string; readonly position: bigint; readonly atMs: number };

/** The commands sent with an Idempotency-Key that a stream recorded: by actor and key. */
export type KeyedCommands = ReadonlyMap<string, KeyedCommand>;

const keyOf = (actor: string, key: string) => `${actor}\n${key}`;

/** Adds an event's key, if it was sent with one, to the stream's keyed commands (a later one wins). */
export const noteKey = (
  keyed: Map<string, KeyedCommand>,
  metadata: EventMetadata,
  position: bigint,
): void => {
  const idem = metadata.idempotency;
  if (idem)
    keyed.set(keyOf(metadata.actor, idem.key), {
      request: idem.request,
      position,
      atMs: metadata.recordedAtMs,
    });
};

/**
 * Whether a stream already recorded the command a keyed context names (a retry, on this instance
 * after a crash or on another one): its position, 'other' if the key went with another request,
 * null if not recorded (or recorded longer ago than the window).
 */
export const recordedCommand = (
  keyed: KeyedCommands | undefined,
  ctx: CommandContext,
  nowMs: number,
): { position: bigint } | 'other' | null => {
  const idem = ctx.idempotency;
  const done = idem ? keyed?.get(keyOf(ctx.actor, idem.key)) : undefined;
  if (!idem || !done || done.atMs < nowMs - IDEMPOTENCY_WINDOW_MS) return null;
  return done.request === idem.request ? { position: done.position } : 'other';
};
