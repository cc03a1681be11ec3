import * as t from 'io-ts';
import { MAX_EPOCH_MS } from '../../domain/numbers.js';

/** A date (`2026-01-01`) or a date and time, to the minute at least, with an optional offset. */
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

const EXPECTED = 'an ISO 8601 time (2026-01-01, 2026-01-01T12:00:00Z) or epoch milliseconds';

/** Epoch milliseconds from what a client wrote, or null. A time without an offset is UTC. */
export const parseTime = (value: unknown): number | null => {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 && value <= MAX_EPOCH_MS ? value : null;
  if (typeof value !== 'string') return null;
  if (/^\d{1,16}$/.test(value)) return parseTime(Number(value));
  if (!ISO_8601.test(value)) return null;
  const text = value.replace(' ', 'T');
  const zoned = text.length <= 10 || /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) || ms < 0 ? null : ms;
};

/**
 * A time given in a query parameter: ISO 8601 (`2026-01-01`, `2026-01-01T12:00:00.000Z`,
 * `2026-01-01T13:00:00+01:00`; without an offset, UTC) or milliseconds since the epoch, decoded
 * to epoch milliseconds. Anything else is refused with a reason that says both forms. The one
 * codec of every `/v1` query parameter that takes a time.
 */
export const TimeParam = new t.Type<number, number, unknown>(
  'TimeParam',
  (u): u is number => typeof u === 'number' && parseTime(u) === u,
  (u, c) => {
    const ms = parseTime(u);
    if (ms !== null) return t.success(ms);
    const shown = typeof u === 'string' ? JSON.stringify(u.slice(0, 80)) : String(u);
    return t.failure(u, c, `must be ${EXPECTED}, got ${shown}`);
  },
  (ms) => ms,
);
export type TimeParam = t.TypeOf<typeof TimeParam>;

/** Its JSON Schema, for the OpenAPI document (see jsonSchema.ts). */
export const timeParamSchema = {
  anyOf: [
    { type: 'string', format: 'date-time' },
    { type: 'string', format: 'date' },
    { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS },
  ],
  description: `A time: ${EXPECTED}`,
};
