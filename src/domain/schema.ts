import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { type DomainEvent, type EventType, eventDataCodecs, isEventType } from './events.js';
import { type FieldError, fieldErrorsOf } from './fieldErrors.js';
import type { Upcasters } from './upcasters.js';
import { upcasters } from './upcasters.js';

export type { Upcasters };

/** Each event type's current schema version (what is written today), and how older ones are read. */
export type SchemaRegistry = {
  readonly versions: Readonly<Record<EventType, number>>;
  readonly upcasters: Upcasters;
};

export const schemaRegistry: SchemaRegistry = {
  versions: {
    ThreadStarted: 3, // v2: the Codex metadata (source, fork, agent); v3: updatedAtMs
    SubagentSpawned: 1,
    ThreadRenamed: 2, // v2: the session index file the name was written to
    ThreadUpdated: 1,
    ThreadArchived: 1,
    ThreadUnarchived: 1,
    ThreadDeleteRequested: 2, // v2: what the tombstone commits to (children, steps)
    RolloutPurged: 1,
    SessionIndexPurged: 1,
    CodexHomeInventoried: 1,
    CodexDatabasePurged: 1,
    HistoryFilePurged: 1,
    ThreadContentShredded: 1,
    DeletionStepFailed: 1,
    DeletionStepWaived: 1,
    ThreadDeleted: 1,
  },
  upcasters,
};

export const schemaVersionOf = (
  type: EventType,
  registry: SchemaRegistry = schemaRegistry,
): number => registry.versions[type];

export type SchemaError =
  | { kind: 'UnknownEventType'; type: string }
  | { kind: 'UnsupportedSchemaVersion'; type: string; version: number; current: number }
  | { kind: 'InvalidEventData'; type: string; errors: string[]; fields: FieldError[] };

/**
 * Decodes one stored payload into a domain event: upcast from an older version, refuse a newer
 * or unknown one, validate the shape. Never guesses.
 */
export const decodeEventData = (
  type: string,
  version: number,
  data: unknown,
  registry: SchemaRegistry = schemaRegistry,
): E.Either<SchemaError, DomainEvent> => {
  if (!isEventType(type)) return E.left({ kind: 'UnknownEventType', type });
  const current = registry.versions[type];
  if (!Number.isInteger(version) || version < 1 || version > current) {
    return E.left({ kind: 'UnsupportedSchemaVersion', type, version, current });
  }
  let payload = data;
  for (let v = version; v < current; v++) {
    const up = registry.upcasters[type]?.[v];
    if (!up) return E.left({ kind: 'UnsupportedSchemaVersion', type, version, current });
    payload = up(payload);
  }
  const codec = eventDataCodecs[type];
  const decoded = codec.decode(payload);
  if (E.isLeft(decoded)) {
    return E.left({
      kind: 'InvalidEventData',
      type,
      errors: PathReporter.report(decoded),
      fields: fieldErrorsOf(decoded.left, 'data'),
    });
  }
  return E.right({ type, data: decoded.right } as DomainEvent);
};

export const describeSchemaError = (e: SchemaError): string => {
  switch (e.kind) {
    case 'UnknownEventType':
      return `unknown event type "${e.type}"`;
    case 'UnsupportedSchemaVersion':
      return `event "${e.type}" has schema version ${e.version}; this build reads up to ${e.current}`;
    case 'InvalidEventData':
      return `event "${e.type}" does not match its schema: ${e.errors.join('; ')}`;
  }
};
