import { hash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
const dir = readdirSync(tmpdir()).filter((d) => d.startsWith('vs-')).map((d) => join(tmpdir(), d))[0]!;
const db = new Database(join(dir, 'events.db'), { readonly: true });
const ENTRY = `'{"data":' || json_quote(data) || ',"eventId":' || json_quote(event_id) || ',"metadata":' || json_quote(metadata) || ',"position":"' || position || '","revision":"' || revision || '","stream":' || json_quote(stream_id) || ',"type":' || json_quote(type) || '}'`;
const text = db.prepare(`SELECT position, ${ENTRY} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true);
const blob = db.prepare(`SELECT position, CAST(char(0) || ${ENTRY} AS BLOB) FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true);
const run = (label: string, stmt: any, h: (x: any) => Buffer) => {
  const t0 = performance.now(); let after = 0; let n = 0;
  for (;;) { const rows = stmt.all(after, 5000) as [number, any][]; for (const r of rows) h(r[1]); n += rows.length; if (rows.length < 5000) break; after = rows[rows.length - 1]![0]; }
  const ms = performance.now() - t0; console.log(label, (ms / n * 1000).toFixed(2), 'µs/ev', Math.round(n / (ms / 1000)), 'ev/s');
};
const a = text.get(0, 1) as any; const b = blob.get(0, 1) as any;
console.log('same leaf:', hash('sha256', '\u0000' + a[1], 'hex') === hash('sha256', b[1], 'hex'));
for (let i = 0; i < 3; i++) { run('text', text, (s) => hash('sha256', '\u0000' + s, 'buffer')); run('blob', blob, (b) => hash('sha256', b, 'buffer')); }
