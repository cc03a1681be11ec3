import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { type DomainEvent, type EventType, eventDataCodecs, isEventType } from './events.js';

/** The schema version every event is written with today. Bump it with an upcaster. */
export const CURRENT_SCHEMA_VERSION = 1;

/**
 * Turns the payload of an older schema version into the next version's. Keyed by event type, then
 * by the version it upgrades *from*; applied in a chain until the current version.
 */
export type Upcasters = { readonly [K in EventType]?: Readonly<Record<number, (data: unknown) => unknown>> };

export type SchemaRegistry = { readonly current: number; readonly upcasters: Upcasters };

export const schemaRegistry: SchemaRegistry = { current: CURRENT_SCHEMA_VERSION, upcasters: {} };

export type SchemaError =
  | { kind: 'UnknownEventType'; type: string }
  | { kind: 'UnsupportedSchemaVersion'; type: string; version: number; current: number }
  | { kind: 'InvalidEventData'; type: string; errors: string[] };

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
  const { current } = registry;
  if (!isEventType(type)) return E.left({ kind: 'UnknownEventType', type });
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
    return E.left({ kind: 'InvalidEventData', type, errors: PathReporter.report(decoded) });
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
