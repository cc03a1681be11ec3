import * as t from 'io-ts';
import { nullable } from './events.js';
import { FiniteNumber } from './numbers.js';

/**
 * A command sent with an Idempotency-Key: the key, and the request it names (method and path).
 * Every event the command appends carries it, so a retry finds in the log itself that it was done.
 */
export const Idempotency = t.type({ key: t.string, request: t.string });

/** Carried by every event: who, on which request, caused by what, when, in which shape. */
export const EventMetadata = t.intersection([
  t.type({
    actor: t.string,
    requestId: t.string,
    causationId: nullable(t.string),
    recordedAtMs: FiniteNumber,
    schemaVersion: t.Int,
  }),
  t.partial({ idempotency: Idempotency }),
]);
export type EventMetadata = t.TypeOf<typeof EventMetadata>;

/** What a caller says about a command; the recorded time and schema version are added on append. */
export type CommandContext = Pick<
  EventMetadata,
  'actor' | 'requestId' | 'causationId' | 'idempotency'
>;
