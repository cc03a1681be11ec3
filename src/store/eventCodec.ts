import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { contentFields, type DomainEvent } from '../domain/events.js';
import { type FieldError, fieldErrorsOf } from '../domain/fieldErrors.js';
import { EventMetadata } from '../domain/metadata.js';
import { decodeEventData, describeSchemaError, schemaVersionOf } from '../domain/schema.js';
import { open, seal } from '../io/contentSealing.js';
import type { KeyStore } from '../io/keys/keyStore.js';
import type { EventToAppend, RecordedEvent } from './eventStore.js';

/** A domain event as read back from the log, with where and how it was recorded. */
export type StoredEvent = {
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
};

/** A stored event that does not decode: the log is never misread, so this stops whoever reads it. */
export class CorruptEventError extends Error {
  override readonly name = 'CorruptEventError';
}

/**
 * The thread's key is gone: it was shredded after the decision was taken (a deletion won the
 * race). The command is decided again on the stream, which now refuses it.
 */
export class ContentKeyDestroyedError extends Error {
  override readonly name = 'ContentKeyDestroyedError';
}

/** An event that would not read back as it is stored, and the fields that would not. */
export type Unrecordable = { readonly eventType: string; readonly errors: readonly FieldError[] };

/** The content keys of the threads an append seals content for. */
export type SealingKeys = ReadonlyMap<string, Buffer>;

type Sealed = { sealed: string };
const isSealed = (v: unknown): v is Sealed =>
  typeof v === 'object' && v !== null && typeof (v as Sealed).sealed === 'string';

const fieldsOf = (type: DomainEvent['type']): readonly string[] =>
  (contentFields[type] as readonly string[] | undefined) ?? [];

/**
 * The boundary between domain events and the log: content fields are sealed with the thread's key
 * on the way in and opened on the way out (null once the key is shredded); everything read back
 * is decoded and checked against its schema version.
 */
export class EventCodec {
  /** Sealed values that did not open under their thread's key since start (see `tryOpen`). */
  unreadable = 0;

  constructor(private readonly keys: KeyStore) {}

  /**
   * The keys that encoding these events needs, created if new (concurrent calls share one durable
   * write). They are used for this append and dropped: no instance keeps a copy of a key.
   */
  async prepare(events: readonly DomainEvent[]): Promise<SealingKeys> {
    const ids = events
      .filter((e) =>
        fieldsOf(e.type).some((f) => typeof (e.data as Record<string, unknown>)[f] === 'string'),
      )
      .map((e) => (e.data as { threadId: string }).threadId);
    return ids.length > 0 ? this.keys.ensure(ids) : new Map();
  }

  encode(
    e: DomainEvent,
    meta: Omit<EventMetadata, 'schemaVersion'>,
    id: string,
    keys: SealingKeys,
  ): EventToAppend {
    const data: Record<string, unknown> = { ...e.data };
    const threadId = (e.data as { threadId: string }).threadId;
    for (const f of fieldsOf(e.type)) {
      const v = data[f];
      if (typeof v !== 'string') continue;
      const key = keys.get(threadId);
      if (!key)
        throw new ContentKeyDestroyedError(
          `the content key of thread ${threadId} was destroyed; its content cannot be recorded`,
        );
      data[f] = { sealed: seal(key, threadId, v) };
    }
    return {
      id,
      type: e.type,
      data,
      metadata: { ...meta, schemaVersion: schemaVersionOf(e.type) },
    };
  }

  /** Decodes without opening sealed content (left null): for decisions, which never need it. */
  decodeSealed(r: RecordedEvent): StoredEvent {
    return this.decodeWith(r, () => null);
  }

  /** Decodes a page of events, content opened, fetching the keys it needs in one request. */
  async decodeMany(records: readonly RecordedEvent[]): Promise<StoredEvent[]> {
    const sealedThreads = new Set<string>();
    for (const r of records) {
      if (fieldsOf(r.type as DomainEvent['type']).length > 0)
        sealedThreads.add(String((r.data as { threadId?: unknown })?.threadId));
    }
    const keys =
      sealedThreads.size > 0 ? await this.keys.getMany(sealedThreads) : new Map<string, Buffer>();
    return records.map((r) => this.decodeWith(r, (threadId) => keys.get(threadId) ?? null));
  }

  /**
   * Content that does not open under the thread's key (sealed under a key that was lost, a key
   * store restored from nothing or the wrong one) reads as shredded content does, and is counted:
   * the lifecycle stays readable and the read models never stop on it.
   */
  private tryOpen(key: Buffer, threadId: string, sealed: string): string | null {
    try {
      return open(key, threadId, sealed);
    } catch {
      this.unreadable++;
      return null;
    }
  }

  private decodeWith(r: RecordedEvent, keyOf: (threadId: string) => Buffer | null): StoredEvent {
    const read = this.read(r, keyOf);
    if (E.isLeft(read))
      throw new CorruptEventError(`event at position ${r.position} ${read.left.message}`);
    return read.right;
  }

  /**
   * The round trip of the log, checked before anything is appended: the event as the store will
   * hold it (JSON text: NaN and Infinity become null, undefined disappears), read back by the very
   * decoder every reader of the log uses. An event that fails here would stop every reader for
   * good (the projections, the worker, a restart), so it is refused and never written.
   */
  checkRoundTrip(e: EventToAppend): E.Either<Unrecordable, void> {
    const refuse = (errors: readonly FieldError[]) => E.left({ eventType: e.type, errors });
    const as = (data: unknown, metadata: unknown): RecordedEvent => ({
      id: e.id,
      streamId: '',
      type: e.type,
      revision: 0n,
      position: 0n,
      data,
      metadata,
    });
    // Sealed content stays sealed: its shape is what is checked, not the plaintext.
    const given = this.read(as(e.data, e.metadata), () => null);
    // A value JSON holds as it is reads back as itself: its one decoding is the stored form's.
    if (E.isRight(given) && isPlainJson(e.data) && isPlainJson(e.metadata))
      return E.right(undefined);
    // The values as given first, so that the error shows them (Infinity, not the null it would be stored as).
    if (E.isLeft(given)) return refuse(given.left.fields);
    let stored: RecordedEvent;
    try {
      stored = as(asStored(e.data), asStored(e.metadata));
    } catch (err) {
      return refuse([
        { field: 'data', reason: `cannot be written as JSON: ${(err as Error).message}` },
      ]);
    }
    const read = this.read(stored, () => null);
    return E.isLeft(read) ? refuse(read.left.fields) : E.right(undefined);
  }

  private read(
    r: RecordedEvent,
    keyOf: (threadId: string) => Buffer | null,
  ): E.Either<{ message: string; fields: FieldError[] }, StoredEvent> {
    const meta = EventMetadata.decode(r.metadata);
    if (E.isLeft(meta)) {
      return E.left({
        message: `has invalid metadata: ${PathReporter.report(meta).join('; ')}`,
        fields: fieldErrorsOf(meta.left, 'metadata').map((f) => ({
          ...f,
          field: f.field === 'metadata' ? f.field : `metadata.${f.field}`,
        })),
      });
    }
    let data = r.data;
    const fields = fieldsOf(r.type as DomainEvent['type']);
    if (fields.length > 0 && typeof data === 'object' && data !== null) {
      const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
      const threadId = String(copy['threadId']);
      let key: Buffer | null | undefined;
      for (const f of fields) {
        const v = copy[f];
        if (!isSealed(v)) continue;
        key = key === undefined ? keyOf(threadId) : key;
        copy[f] = key ? this.tryOpen(key, threadId, v.sealed) : null;
      }
      data = copy;
    }
    const event = decodeEventData(r.type, meta.right.schemaVersion, data);
    if (E.isLeft(event)) {
      const e = event.left;
      return E.left({
        message: `(${r.streamId}@${r.revision}): ${describeSchemaError(e)}`,
        fields:
          e.kind === 'InvalidEventData'
            ? e.fields
            : [{ field: 'type', reason: describeSchemaError(e) }],
      });
    }
    return E.right({
      event: event.right,
      metadata: meta.right,
      streamId: r.streamId,
      revision: r.revision,
      position: r.position,
    });
  }
}

/** What the store keeps of a value: its JSON text, read back. */
const asStored = (v: unknown): unknown => {
  const text = JSON.stringify(v);
  if (text === undefined) throw new Error('no JSON value');
  return JSON.parse(text) as unknown;
};

/**
 * Whether JSON text holds this value as it is, so that reading the text back gives an equal value:
 * strings, booleans, null, finite numbers (not -0), dense arrays and plain objects of these, with
 * every own property enumerable (JSON and the decoders see the same) and none undefined.
 */
const isPlainJson = (v: unknown): boolean => {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlainJson(v[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      const names = Object.getOwnPropertyNames(v);
      if (names.length !== Object.keys(v).length) return false;
      for (const k of names) if (!isPlainJson((v as Record<string, unknown>)[k])) return false;
      return true;
    }
    default:
      return false;
  }
};
