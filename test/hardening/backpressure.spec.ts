import { readFileSync } from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerAppServer, waitFor } from '../support/ledgerProcess.js';
import { userMessage, writeRolloutFile } from '../support/rolloutWriter.js';
import { ServeProcess, TOKENS } from '../support/serveProcess.js';
import { tempDir } from '../support/tempDir.js';

/** Resident memory of a process, in MiB (Linux). */
const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

/** The highest resident memory seen over `ms`. */
const peakRss = async (pid: number, ms: number): Promise<number> => {
  let peak = 0;
  for (const until = Date.now() + ms; Date.now() < until; ) {
    peak = Math.max(peak, rssMiB(pid));
    await new Promise((r) => setTimeout(r, 50));
  }
  return peak;
};

const REQUESTS = 60;

describe('a client that does not read its answers is held back, not buffered', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`stdio app-server: ${REQUESTS} pipelined 2 MB answers, stdout not read: memory stays bounded, every answer comes once it is read`, async () => {
    const home = await tempDir();
    const at = new Date('2026-03-01T10:00:00Z');
    for (let i = 0; i < 100; i++) {
      const t = new Date(at.getTime() + i * 1000);
      writeRolloutFile(home.path, {
        id: uuidv7(),
        createdAt: t,
        mtime: t,
        provider: 'openai',
        lines: [userMessage(`${i} ${'w'.repeat(20_000)}`)],
      });
    }
    const server = await LedgerAppServer.start(home.path, {}, 60_000);
    cleanups.push(
      () => home.remove(),
      () => server.kill(),
    );
    const first = await server.result<{ data: unknown[] }>('thread/list', { limit: 100 });
    expect(first.data).toHaveLength(100);
    const baseline = rssMiB(server.child.pid!);

    server.child.stdout!.pause(); // the client stops reading
    const replies = Array.from({ length: REQUESTS }, (_, i) =>
      server.rpc.call('thread/list', { limit: 100 }, `p${i}`),
    );
    // Unbounded, this is about 120 MB of answers held in the process.
    const peak = await peakRss(server.child.pid!, 3_000);
    expect(
      peak - baseline,
      `baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`,
    ).toBeLessThan(64);

    server.child.stdout!.resume();
    const answered = await Promise.all(replies);
    expect(answered.every((r) => (r.result as { data: unknown[] }).data.length === 100)).toBe(true);
    expect((await server.close()).code).toBe(0);
  });

  it(`serve: ${REQUESTS} pipelined answers of 2 MB over WebSocket, not read: memory stays bounded, the client is kept and gets every answer`, async () => {
    const serve = await ServeProcess.start();
    cleanups.push(() => serve.stop());
    for (let i = 0; i < 10; i++) {
      const r = await serve.request('POST', '/v1/threads', {
        body: JSON.stringify({
          cwd: '/w',
          modelProvider: 'openai',
          sourceKind: 'cli',
          preview: 'v'.repeat(200_000),
        }),
      });
      expect(r.status).toBe(201);
    }
    const ws = await serve.socket(TOKENS.auditor);
    ws.send(JSON.stringify({ id: 'warm', method: 'thread/list', params: { limit: 10 } }));
    expect((await ws.answer('warm')).result.data).toHaveLength(10);
    const baseline = rssMiB(serve.child.pid!);
    const socket = (ws.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    for (let i = 0; i < REQUESTS; i++)
      ws.send(JSON.stringify({ id: i, method: 'thread/list', params: { limit: 10 } }));
    const peak = await peakRss(serve.child.pid!, 3_000);
    expect(
      peak - baseline,
      `baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`,
    ).toBeLessThan(64);
    socket.resume();
    expect(
      await waitFor(() => ws.closed !== null || ws.received.length >= REQUESTS + 1, 60_000),
    ).toBe(true);
    expect(ws.closed).toBeNull();
    expect(new Set(ws.received.map((m) => m.id)).size).toBe(REQUESTS + 1);
    ws.close();
  });
});
