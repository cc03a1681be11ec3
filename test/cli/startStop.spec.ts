import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { exited } from '../support/cli.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { ServeProcess, TOKENS } from '../support/serveProcess.js';
import { tempDir } from '../support/tempDir.js';
import { until } from '../support/until.js';

/** An SSE client of /v1/events: what it has read, and when its stream ended. */
const sseClient = (base: string) => {
  let text = '';
  const ended = new Promise<'end' | 'error'>((resolve) => {
    const req = httpRequest(
      `${base}/v1/events`,
      { headers: { authorization: `Bearer ${TOKENS.auditor}` } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve('end'));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('error'));
      },
    );
    req.on('error', () => resolve('error'));
    req.end();
  });
  return { ended, text: () => text };
};

/** A POST /v1/threads whose body is held back half-sent until `finish` is called. */
const slowStart = (base: string) => {
  const body = JSON.stringify({ cwd: '/work', modelProvider: 'openai' });
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      `${base}/v1/threads`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKENS.writer}`,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answered, finish: () => finish() };
};

describe('thread-ledger serve stops cleanly on SIGTERM and SIGINT', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the request in flight completes, the SSE stream and the WebSocket end properly, the stores close, it says so and exits 0`, async () => {
      // Given a serve process (its request log on: an error of a stream would show there) with an
      // SSE client, a WebSocket /rpc client, and a request in flight
      const serve = await ServeProcess.start({ env: { LEDGER_LOG: 'on' } });
      cleanups.push(() => serve.stop());
      const sse = sseClient(serve.base);
      await until(
        () => sse.text().includes('thread-ledger lifecycle events'),
        10_000,
        'the SSE stream',
      );
      const ws = new WebSocket(`${serve.base.replace(/^http/, 'ws')}/rpc`, {
        headers: { authorization: `Bearer ${TOKENS.writer}` },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const wsClosed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      const slow = slowStart(serve.base);
      await new Promise((r) => setTimeout(r, 200));

      // When the process is told to stop, and the request in flight then finishes sending
      serve.child.kill(signal);
      await until(() => serve.child.output().includes('stopping'), 10_000, 'the stopping line');
      slow.finish();

      // Then the request in flight is answered in full
      const answer = await slow.answered;
      expect(answer.status, answer.body).toBe(201);
      expect(JSON.parse(answer.body)).toHaveProperty('threadId');
      // the SSE stream gets a last comment, then ends (not cut)
      expect(await sse.ended).toBe('end');
      expect(sse.text()).toMatch(/: thread-ledger stopping[^\n]*\n\n$/);
      // the WebSocket is told the server is going away
      expect(await wsClosed).toEqual({ code: 1001, reason: 'server stopping' });
      // and the process says it stopped and exits 0, with no error nor stack trace
      const { code } = await exited(serve.child);
      const output = serve.child.output();
      expect(code, output).toBe(0);
      expect(output).toContain(`thread-ledger: ${signal}: stopping`);
      expect(output).toMatch(/thread-ledger: stopped\n/);
      expect(output).not.toMatch(/TypeError|database connection is not open|\n\s+at /);
      expect(output).not.toMatch(/"level":(50|60)/);
    });
  }

  it('a new connection during the stop is refused, and a second signal exits at once', async () => {
    const serve = await ServeProcess.start();
    cleanups.push(() => serve.stop());
    const slow = slowStart(serve.base);
    const cut = slow.answered.catch(() => 'cut');
    await new Promise((r) => setTimeout(r, 200));
    serve.child.kill('SIGTERM');
    await until(() => serve.child.output().includes('stopping'), 10_000, 'the stopping line');
    await expect(fetch(`${serve.base}/healthz`)).rejects.toThrow();
    serve.child.kill('SIGTERM');
    expect((await exited(serve.child)).code).toBe(1);
    expect(serve.child.output()).toContain('SIGTERM again: exiting without waiting');
    expect(await cut).toBe('cut');
  });
});

describe('thread-ledger app-server stops cleanly at the end of its input', () => {
  it('answers every message it read before its stdin ended, says it stopped, and exits 0', async () => {
    // Given an app-server over a Codex home, initialized
    const dir = await tempDir();
    const fx = generateCodexHome(join(dir.path, 'home'), { roots: 3, trees: 1 });
    const server = await LedgerAppServer.start(fx.home);
    try {
      // When several requests are sent and stdin ends at once after them
      const ids = [101, 102, 103, 104];
      for (const id of ids)
        server.rpc.sendRaw(JSON.stringify({ id, method: 'thread/list', params: {} }));
      server.child.stdin!.end();
      const { code } = await exited(server.child);

      // Then each is answered, and the process says it stopped and exits 0, without a stack trace
      for (const id of ids)
        expect(server.rpc.answers.find((a) => a.id === id)?.result, server.output).toBeDefined();
      expect(code, server.output).toBe(0);
      expect(server.output).toContain('thread-ledger app-server: input ended: stopped');
      expect(server.output).not.toMatch(/TypeError|database connection is not open|\n\s+at /);
    } finally {
      await server.close();
      await dir.remove();
    }
  });
});

describe('thread-ledger app-server stops cleanly on a signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: stops reading, answers what it read, closes its stores, says so and exits 0`, async () => {
      // Given an app-server over a Codex home, initialized, that has answered a list
      const dir = await tempDir();
      const fx = generateCodexHome(join(dir.path, 'home'), { roots: 3, trees: 1 });
      const server = await LedgerAppServer.start(fx.home);
      try {
        const first = await server.call('thread/list', {});
        expect(first.result, server.output).toBeDefined();
        // When more requests are sent and the signal follows at once
        for (const id of [201, 202, 203])
          server.rpc.sendRaw(JSON.stringify({ id, method: 'thread/list', params: {} }));
        server.child.kill(signal);
        const { code } = await exited(server.child);

        // Then it says it stopped and exits 0; what it answered is whole; no stack trace
        expect(code, server.output).toBe(0);
        expect(server.output).toContain(`thread-ledger app-server: ${signal}: stopping`);
        expect(server.output).toContain('thread-ledger app-server: stopped');
        for (const a of server.rpc.answers) expect(a.error, server.output).toBeUndefined();
        expect(server.output).not.toMatch(/TypeError|database connection is not open|\n\s+at /);
      } finally {
        await server.close();
        await dir.remove();
      }
    });
  }
});
