import * as t from 'io-ts';

const ISO_UTC_MS = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A time in a `/v1` answer: RFC 3339 / ISO 8601, UTC, with milliseconds
 * ("2026-11-29T22:57:25.123Z"), in a field whose name ends in `At`. Documented as
 * `format: date-time`.
 */
export const IsoTime = t.refinement(
  t.string,
  (s) => ISO_UTC_MS.test(s) && !Number.isNaN(Date.parse(s)),
  'IsoTime',
);
export type IsoTime = t.TypeOf<typeof IsoTime>;

/** Epoch milliseconds (as the read models keep them) as an `IsoTime`. */
export const isoTime = (ms: number): IsoTime => new Date(ms).toISOString();
