import canonicalize from 'canonicalize';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { entryText, parseEntry, type StoredRecord } from '../../src/evidence/entry.js';

/**
 * The entry of a stored event is the RFC 8785 (JCS) canonical JSON of a flat object of strings:
 * checked against the `canonicalize` package (an RFC 8785 implementation), and read back only in
 * that one spelling.
 */
// RFC 8785 takes I-JSON (RFC 7493): well-formed strings, any code point but a lone surrogate.
const text = fc.string({ unit: 'binary', maxLength: 24 });
const counter = fc.bigInt({ min: 0n, max: 2n ** 70n });
const record = (data: fc.Arbitrary<string>): fc.Arbitrary<StoredRecord> =>
  fc.record({
    streamId: text,
    revision: counter,
    id: text,
    type: text,
    position: counter,
    dataJson: data,
    metadataJson: data,
  });
const flat = (r: StoredRecord) => ({
  stream: r.streamId,
  revision: String(r.revision),
  eventId: r.id,
  type: r.type,
  position: String(r.position),
  data: r.dataJson,
  metadata: r.metadataJson,
});

describe('the canonical entry of a stored event', () => {
  it('is what canonicalize (RFC 8785) makes of the flat object of its fields (property)', () => {
    fc.assert(
      fc.property(record(text), (r) => {
        expect(entryText(r)).toBe(canonicalize(flat(r)));
      }),
      { numRuns: 300 },
    );
  });

  it('reads back to the same fields, the data and metadata parsed (property)', () => {
    fc.assert(
      fc.property(record(fc.json({ maxDepth: 2 })), (r) => {
        const entry = parseEntry(entryText(r));
        expect(entry).toEqual(
          E.right({
            stream: r.streamId,
            revision: r.revision,
            eventId: r.id,
            type: r.type,
            position: r.position,
            data: JSON.parse(r.dataJson),
            metadata: JSON.parse(r.metadataJson),
          }),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a position past 2^53 exactly', () => {
    const r: StoredRecord = {
      streamId: 'thread-1',
      revision: 0n,
      id: 'e1',
      type: 'ThreadStarted',
      position: 2n ** 64n + 1n,
      dataJson: '{}',
      metadataJson: '{}',
    };
    expect(entryText(r)).toContain('"position":"18446744073709551617"');
    const back = parseEntry(entryText(r));
    expect(E.isRight(back) && back.right.position).toBe(2n ** 64n + 1n);
  });
});

describe('a lone surrogate, outside RFC 8785 (I-JSON)', () => {
  it('is written escaped by entryText, where canonicalize refuses it, and reads back', () => {
    // Stored ids, types and JSON text never hold one (JSON.stringify escapes them in data);
    // this says what the entry does if one came: a deterministic spelling, readable.
    const r: StoredRecord = {
      streamId: 'thread-\ud800',
      revision: 0n,
      id: 'e1',
      type: 'T',
      position: 1n,
      dataJson: '{}',
      metadataJson: '{}',
    };
    expect(() => canonicalize(flat(r))).toThrow('Lone surrogate');
    expect(entryText(r)).toContain('"stream":"thread-\\ud800"');
    const back = parseEntry(entryText(r));
    expect(E.isRight(back) && back.right.stream).toBe('thread-\ud800');
  });
});

describe('an entry in any other spelling is refused, with the reason', () => {
  const r: StoredRecord = {
    streamId: 'thread-1',
    revision: 3n,
    id: '9b2f',
    type: 'ThreadDeleted',
    position: 120n,
    dataJson: '{"reason":"asked"}',
    metadataJson: '{}',
  };
  const good = entryText(r);
  const canonicalForm = 'is not in its canonical form';

  it('reads the canonical spelling', () => {
    expect(E.isRight(parseEntry(good))).toBe(true);
  });

  it.each([
    ['not JSON', good.slice(0, -1), 'is not JSON'],
    ['a space after a colon', good.replace('"data":', '"data": '), canonicalForm],
    ['a space after a comma', good.replace(',"eventId"', ', "eventId"'), canonicalForm],
    ['a final newline', `${good}\n`, canonicalForm],
    ['the keys in another order', JSON.stringify(flat(r)), canonicalForm],
    ['a letter escaped', good.replace('"thread-1"', '"\\u0074hread-1"'), canonicalForm],
    ['a key twice', good.replace('{"data":', '{"data":"x","data":'), canonicalForm],
    ['a key more', `${good.slice(0, -1)},"x":"y"}`, 'has fields an entry does not have'],
    [
      'a key missing',
      JSON.stringify({ ...flat(r), type: undefined }),
      'is not an entry (data, eventId, metadata, position, revision, stream, type)',
    ],
    [
      'a number for the position',
      good.replace('"position":"120"', '"position":120'),
      'is not an entry (data, eventId, metadata, position, revision, stream, type)',
    ],
    [
      'a number for the revision',
      good.replace('"revision":"3"', '"revision":3'),
      'is not an entry (data, eventId, metadata, position, revision, stream, type)',
    ],
    [
      'a leading zero in the position',
      good.replace('"position":"120"', '"position":"0120"'),
      'has a position or revision that is not a decimal number',
    ],
    [
      'a negative revision',
      good.replace('"revision":"3"', '"revision":"-3"'),
      'has a position or revision that is not a decimal number',
    ],
    [
      'a revision in hex',
      good.replace('"revision":"3"', '"revision":"0x3"'),
      'has a position or revision that is not a decimal number',
    ],
    [
      'data that is not JSON text',
      entryText({ ...r, dataJson: '{reason:asked}' }),
      'holds data or metadata that is not JSON',
    ],
  ])('refuses %s', (_what, spelling, reason) => {
    expect(spelling).not.toBe(good);
    expect(parseEntry(spelling)).toEqual(E.left(reason));
  });
});
