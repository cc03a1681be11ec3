import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/**
 * A leaf of the evidence tree: one event exactly as the log stores it, in one canonical byte form.
 * The entry is the RFC 8785 (JCS) canonical JSON of a flat object of strings: the data and the
 * metadata are their stored JSON text (sealed values stay ciphertext, so shredding a key never
 * changes an entry), positions and revisions are decimal strings (a KurrentDB position passes
 * 2^53). Every field is a string and the keys are written in JCS order, so the JCS form is built
 * by concatenation here; a property spec checks it against the `canonicalize` package.
 */
export const EntryFields = t.strict({
  data: t.string,
  eventId: t.string,
  metadata: t.string,
  position: t.string,
  revision: t.string,
  stream: t.string,
  type: t.string,
});
export type EntryFields = t.TypeOf<typeof EntryFields>;

/** An event as stored: what an entry is made of. */
export type StoredRecord = {
  readonly streamId: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly position: bigint;
  /** The data and metadata as the store holds them: JSON text. */
  readonly dataJson: string;
  readonly metadataJson: string;
};

const q = JSON.stringify;

export const entryText = (r: StoredRecord): string =>
  `{"data":${q(r.dataJson)},"eventId":${q(r.id)},"metadata":${q(r.metadataJson)},"position":"${r.position}","revision":"${r.revision}","stream":${q(r.streamId)},"type":${q(r.type)}}`;

/** An entry as the log gives it to `verify`: its text, and where it is. */
export type LogEntry = { readonly position: bigint; readonly entry: string };

/** An entry read back: its fields, the data and metadata parsed. */
export type Entry = {
  readonly stream: string;
  readonly revision: bigint;
  readonly eventId: string;
  readonly type: string;
  readonly position: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
};

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Reads an entry's text; the reason when it is not one in its canonical form. */
export const parseEntry = (text: string): E.Either<string, Entry> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return E.left('is not JSON');
  }
  const fields = EntryFields.decode(json);
  if (E.isLeft(fields))
    return E.left('is not an entry (data, eventId, metadata, position, revision, stream, type)');
  const f = fields.right;
  if (Object.keys(json as object).length !== 7) return E.left('has fields an entry does not have');
  if (!DECIMAL.test(f.position) || !DECIMAL.test(f.revision))
    return E.left('has a position or revision that is not a decimal number');
  const record: StoredRecord = {
    streamId: f.stream,
    revision: BigInt(f.revision),
    id: f.eventId,
    type: f.type,
    position: BigInt(f.position),
    dataJson: f.data,
    metadataJson: f.metadata,
  };
  if (entryText(record) !== text) return E.left('is not in its canonical form');
  let data: unknown;
  let metadata: unknown;
  try {
    data = JSON.parse(f.data);
    metadata = JSON.parse(f.metadata);
  } catch {
    return E.left('holds data or metadata that is not JSON');
  }
  return E.right({
    stream: f.stream,
    revision: record.revision,
    eventId: f.eventId,
    type: f.type,
    position: record.position,
    data,
    metadata,
  });
};
