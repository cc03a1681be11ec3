import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../src/main/openLedger.js';
import { startedData, newId } from '../test/support/threads.js';
const dir = mkdtempSync(join(tmpdir(), 'rcpt-'));
const ledger = openLedger({ dataDir: join(dir, 'data'), rolloutRoots: [join(dir, 'r')] });
const ctx = { actor: 'a', requestId: 'r', causationId: null };
for (let i = 0; i < 4000; i++) await ledger.lifecycle.start(startedData({ rolloutPath: null } as any), ctx);
const root = newId();
await ledger.lifecycle.start(startedData({ threadId: root, rolloutPath: null } as any), ctx);
const all = [root];
for (let i = 1; i < 200; i++) { const id = newId(); await ledger.lifecycle.spawn(all[Math.floor((i - 1) / 3)]!, startedData({ threadId: id, parentThreadId: all[Math.floor((i - 1) / 3)]!, sourceKind: 'subAgentThreadSpawn', rolloutPath: null } as any), ctx); all.push(id); }
await ledger.lifecycle.delete(root as any, 'x', ctx);
await ledger.worker.runPass();
await ledger.runner.catchUp();
await ledger.evidence.receipts.build(root as any);
const t: number[] = [];
for (let i = 0; i < 10; i++) { const t0 = performance.now(); const r = await ledger.evidence.receipts.build(root as any); t.push(performance.now() - t0); if (i === 0) console.log((r as any).right.entries.length, 'entries'); }
t.sort((a, b) => a - b); console.log('median', t[5]!.toFixed(1), 'ms', t.map((x) => x.toFixed(0)).join(' '));
await ledger.close();
