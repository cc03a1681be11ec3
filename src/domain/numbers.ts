import * as t from 'io-ts';

/**
 * A number JSON can carry. NaN and ±Infinity (what `1e400` parses to) are written as `null`, and
 * an event holding one would never read back: no event field and no input accepts them.
 */
export const FiniteNumber = t.refinement(t.number, (n) => Number.isFinite(n), 'FiniteNumber');

/** The latest instant a JavaScript Date can hold, in milliseconds since the epoch. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/** A point in time given by a client: whole milliseconds since the epoch, within a Date's range. */
export const EpochMs = t.refinement(
  t.number,
  (n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_EPOCH_MS,
  'EpochMs',
);

/** How deep a subagent sits under its root (Codex's spawn `depth`): a whole number, 0 or more. */
export const SpawnDepth = t.refinement(
  t.number,
  (n) => Number.isSafeInteger(n) && n >= 0,
  'SpawnDepth',
);
