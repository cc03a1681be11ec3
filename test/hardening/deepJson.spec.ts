import { afterEach, describe, expect, it } from 'vitest';
import {
  jsonNestingDepth,
  MAX_MESSAGE_BYTES,
  MAX_REQUEST_DEPTH,
  parseBoundedJson,
} from '../../src/io/boundedJson.js';
import { LedgerAppServer, within } from '../support/ledgerProcess.js';
import { ServeProcess, TOKENS } from '../support/serveProcess.js';
import { tempDir } from '../support/tempDir.js';

const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const INIT = { clientInfo: { name: 'deep', version: '1' } };

describe('jsonNestingDepth', () => {
  it('counts nesting without parsing, ignoring brackets inside strings', () => {
    expect(jsonNestingDepth('1')).toBe(0);
    expect(jsonNestingDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonNestingDepth('{"a":"[[[[\\"[[[["}')).toBe(1);
    expect(jsonNestingDepth(nested(1_000_000), 64)).toBe(65);
    expect(parseBoundedJson(nested(64), 64)).toMatchObject({ ok: true });
    expect(parseBoundedJson(nested(65), 64)).toMatchObject({ ok: false, reason: 'too-deep' });
  });
});

describe('deep or huge JSON never ends a process', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('stdio app-server: a deep id, deep params and an oversized line are each answered, and the session goes on', async () => {
    const home = await tempDir();
    const server = await LedgerAppServer.start(home.path);
    cleanups.push(
      () => home.remove(),
      () => server.kill(),
    );
    const rpc = server.rpc;

    // The id nested 20,000 arrays deep: refused before anything recursive sees it.
    let reply = rpc.replyTo(null);
    rpc.sendRaw(`{"id":${nested(20_000)},"method":"initialize"}`);
    expect(await within(reply, 10_000, 'deep id answer')).toEqual({
      id: null,
      error: {
        code: -32600,
        message: `Invalid request: JSON nested deeper than ${MAX_REQUEST_DEPTH} levels`,
      },
    });
    // Deep params, with a valid id: the id cannot be trusted before the depth is; answered with null.
    reply = rpc.replyTo(null);
    rpc.sendRaw(
      `{"id":7,"method":"thread/list","params":{"cwd":${nested(MAX_REQUEST_DEPTH, '"/x"')}}}`,
    );
    expect((await within(reply, 10_000, 'deep params answer')).error?.code).toBe(-32600);
    // A non-scalar id that is within the depth: not echoed.
    reply = rpc.replyTo(null);
    rpc.sendRaw('{"id":[[1]],"method":"initialize"}');
    expect((await within(reply, 10_000, 'array id answer')).error?.code).toBe(-32600);
    // A line larger than the limit: not kept, answered -32700 in its turn.
    reply = rpc.replyTo(null);
    rpc.sendRaw(`{"id":8,"method":"initialize","pad":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}`);
    expect((await within(reply, 10_000, 'oversized answer')).error).toEqual({
      code: -32700,
      message: expect.stringContaining(`exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`),
    });
    // Just within both limits: handled as any request.
    const ok = await server.call('initialize', { ...INIT, pad: nested(MAX_REQUEST_DEPTH - 2) });
    expect(ok.result).toMatchObject({ userAgent: expect.stringContaining('thread-ledger/') });
    expect(server.child.exitCode).toBeNull();
    expect((await server.close()).code).toBe(0);
  });

  it('serve: a deep id over WebSocket is answered (any role), deep HTTP bodies are a 400 problem, and the process stays up', async () => {
    const serve = await ServeProcess.start();
    cleanups.push(() => serve.stop());

    for (const token of [TOKENS.auditor, TOKENS.writer]) {
      const ws = await serve.socket(token);
      ws.send(`{"id":${nested(20_000)},"method":"thread/list"}`);
      ws.send(`{"id":"after","method":"initialize","params":${JSON.stringify(INIT)}}`);
      const [first] = await ws.waitFor(2);
      expect(first).toEqual({
        id: null,
        error: {
          code: -32600,
          message: `Invalid request: JSON nested deeper than ${MAX_REQUEST_DEPTH} levels`,
        },
      });
      expect((await ws.answer('after')).result).toMatchObject({ userAgent: expect.any(String) });
      ws.close();
    }
    // A frame over the limit closes that socket with 1009 (Message Too Big); the server goes on.
    const big = await serve.socket(TOKENS.auditor);
    big.send(`{"id":1,"method":"initialize","pad":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}`);
    await big.waitFor(1);
    expect(big.closed?.code).toBe(1009);

    const deep = `{"cwd":"/w","modelProvider":"openai","extra":${nested(20_000)}}`;
    for (const headers of [{}, { 'idempotency-key': 'deep-1' }] as Record<string, string>[]) {
      const r = await serve.request('POST', '/v1/threads', { body: deep, headers });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.contentType).toContain('application/problem+json');
      expect(r.body).toMatchObject({
        type: 'https://thread-ledger.dev/problems/body-too-deep',
        status: 400,
      });
    }
    const renamed = await serve.request(
      'POST',
      `/v1/threads/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/name`,
      { body: `{"name":${nested(100)}}` },
    );
    expect(renamed.status).toBe(400);
    // Within the limit, the body is parsed and decoded: refused for its unknown field, by name, not for its depth.
    const shallow = await serve.request('POST', '/v1/threads', {
      body: `{"cwd":"/w","modelProvider":"openai","extra":${nested(MAX_REQUEST_DEPTH - 1)}}`,
      headers: { 'idempotency-key': 'deep-2' },
    });
    expect(shallow.status, JSON.stringify(shallow.body)).toBe(400);
    expect(shallow.body).toMatchObject({
      type: 'https://thread-ledger.dev/problems/validation',
      errors: [{ field: 'extra', reason: 'is not a known field' }],
    });

    expect(serve.alive).toBe(true);
    expect((await serve.request('GET', '/healthz', { token: null })).status).toBe(200);
  });
});
