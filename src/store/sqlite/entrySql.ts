/**
 * `entryText` (src/evidence/entry.ts) in SQL: SQLite's json_quote escapes a string exactly as
 * JSON.stringify does (the store contract checks the two agree on hostile text), so `verify`
 * reads each entry ready to hash instead of rebuilding it in JavaScript.
 */
export const ENTRY_SQL = `'{"data":' || json_quote(data) || ',"eventId":' || json_quote(event_id) ||
  ',"metadata":' || json_quote(metadata) || ',"position":"' || position || '","revision":"' ||
  revision || '","stream":' || json_quote(stream_id) || ',"type":' || json_quote(type) || '}'`;

/**
 * A page of entries as one row: how many, the last position, the positions and the entries each
 * joined by a newline. One string per page crosses from SQLite to JavaScript (and on to another
 * thread) instead of a row per event, about a fifth cheaper to read; an entry never holds a raw
 * newline, since json_quote escapes every control character.
 */
export const ENTRY_PAGE_SQL = `SELECT count(*), max(position), group_concat(position, char(10)),
  group_concat(entry, char(10)) FROM (SELECT position, ${ENTRY_SQL} AS entry FROM events
  WHERE position > ? ORDER BY position LIMIT ?)`;

/**
 * The bytes of the next `count` events' stored text, read from the record headers (octet_length
 * loads no value): a page is kept to `ENTRY_PAGE_BYTES`, so one huge event after another never
 * builds a string beyond what JavaScript can hold.
 */
export const ENTRY_PAGE_BYTES_SQL = `SELECT sum(octet_length(data) + octet_length(metadata) +
  octet_length(stream_id) + octet_length(event_id) + octet_length(type)) FROM (SELECT data,
  metadata, stream_id, event_id, type FROM events WHERE position > ? ORDER BY position LIMIT ?)`;

/** Stored bytes a page may hold (json_quote writes at most 6 characters for one byte). */
export const ENTRY_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * A page of events for a rebuild as one row: how many, the last position, the events as one JSON
 * array of `[position, stream, revision, id, type, data, metadata]` (data and metadata spliced in
 * as their stored text, so one `JSON.parse` reads the page), their entries joined by a newline
 * (hashed by the worker into leaves), and how many hold data or metadata that is not JSON (which
 * would break the page's array: such a page is refused, as a row-by-row parse would refuse it).
 */
export const RECORD_PAGE_SQL = `SELECT count(*), max(position),
  '[' || group_concat('[' || position || ',' || json_quote(stream_id) || ',' || revision || ',' ||
    json_quote(event_id) || ',' || json_quote(type) || ',' || data || ',' || metadata || ']', ',') || ']',
  group_concat(entry, char(10)), sum(NOT (json_valid(data) AND json_valid(metadata)))
  FROM (SELECT position, stream_id, revision, event_id, type, data, metadata, ${ENTRY_SQL} AS entry
  FROM events WHERE position > ? ORDER BY position LIMIT ?)`;
