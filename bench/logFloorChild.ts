// The floor of a rebuild (issue 15): every row of events.db read and its JSON parsed, in a Node
// process of its own, nothing else. A rebuild reads the same rows, decodes, unseals and folds them.

import Database from 'better-sqlite3';

const file = `${process.argv[2]!}/events.db`;
const db = new Database(file, { readonly: true, fileMustExist: true });
const page = db
  .prepare<[number, number], [number, string, number, string, string, string, string]>(
    'SELECT position, stream_id, revision, event_id, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
  )
  .raw(true);
const t0 = performance.now();
let events = 0;
let kept = 0;
for (let after = 0; ; ) {
  const rows = page.all(after, 5000);
  for (const r of rows) {
    const data = JSON.parse(r[5]);
    const metadata = JSON.parse(r[6]);
    if (data !== null && metadata !== null) kept++; // the parsed values are used, not optimised away
  }
  events += rows.length;
  if (rows.length < 5000) break;
  after = rows[rows.length - 1]![0];
}
const seconds = (performance.now() - t0) / 1000;
db.close();
process.stdout.write(JSON.stringify({ events, kept, seconds }));
