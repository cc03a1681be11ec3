/**
 * `entryText` (src/evidence/entry.ts) in SQL: SQLite's json_quote escapes a string exactly as
 * JSON.stringify does (the store contract checks the two agree on hostile text), so `verify`
 * reads each entry ready to hash instead of rebuilding it in JavaScript.
 */
export const ENTRY_SQL = `'{"data":' || json_quote(data) || ',"eventId":' || json_quote(event_id) ||
  ',"metadata":' || json_quote(metadata) || ',"position":"' || position || '","revision":"' ||
  revision || '","stream":' || json_quote(stream_id) || ',"type":' || json_quote(type) || '}'`;
