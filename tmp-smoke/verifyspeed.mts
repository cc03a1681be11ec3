import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../src/store/sqlite/sqliteEventStore.js';
import { leafHashOfText, nodeTreeHasher } from '../src/io/evidence/nodeEvidenceCrypto.js';
import { CompactTree } from '../src/evidence/merkle.js';
const dir = mkdtempSync(join(tmpdir(), 'vs-'));
const file = join(dir, 'events.db');
new SqliteEventStore(file).close();
const db = new Database(file);
const ins = db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?,?,?,?,?,?)');
const N = 200_000;
db.transaction(() => { for (let i = 0; i < N; i++) { const t = randomUUID(); ins.run('thread-' + t, 0, randomUUID(), 'ThreadStarted', JSON.stringify({ threadId: t, sessionId: t, parentThreadId: null, depth: 0, sourceKind: 'cli', cwd: '/home/user/project', modelProvider: 'openai', originator: 'codex_cli_rs', cliVersion: '0.169.0', gitInfo: null, createdAtMs: 1790000000000 + i, rolloutPath: null, preview: { sealed: 'v1.' + 'x'.repeat(60) }, name: null, codex: null }), JSON.stringify({ actor: 'svc', requestId: randomUUID(), causationId: null, recordedAtMs: 1790000000000 + i, schemaVersion: 2 })); } })();
db.close();
const store = new SqliteEventStore(file);
for (let round = 0; round < 3; round++) {
  let t0 = performance.now(); let after: bigint | null = null; let n = 0; const pages: string[][] = [];
  for (;;) { const page = await store.readEntries({ after, maxCount: 5000 }); n += page.length; pages.push(page.map((e) => e.entry)); if (page.length < 5000) break; after = page[page.length - 1]!.position; }
  const read = performance.now() - t0;
  t0 = performance.now(); const c = new CompactTree(nodeTreeHasher); for (const p of pages) for (const e of p) c.append(leafHashOfText(e));
  const hashT = performance.now() - t0;
  console.log(`read ${(read / n * 1000).toFixed(2)} µs/ev, hash+fold ${(hashT / n * 1000).toFixed(2)} µs/ev -> ${Math.round(n / ((read + hashT) / 1000))} ev/s`);
}
