import * as t from 'io-ts';
import { nullable } from './events.js';

/** Carried by every event: who, on which request, caused by what, when, in which shape. */
export const EventMetadata = t.type({
  actor: t.string,
  requestId: t.string,
  causationId: nullable(t.string),
  recordedAtMs: t.number,
  schemaVersion: t.Int,
});
export type EventMetadata = t.TypeOf<typeof EventMetadata>;

/** What a caller says about a command; the recorded time and schema version are added on append. */
export type CommandContext = Pick<EventMetadata, 'actor' | 'requestId' | 'causationId'>;
