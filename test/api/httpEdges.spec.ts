import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildServer } from '../../src/api/server.js';
import { A, TOKENS, useHttpServer, W } from '../support/httpServerFixture.js';
import type { Fixture } from '../support/ledgerFixture.js';
import { prng, type RawAnswer, rawRequest } from './rawHttp.js';

const PROBLEM = 'https://thread-ledger.dev/problems/';

/** The answer is an RFC 9457 problem document of the project's shape, for its own status. */
const problemOf = (a: RawAnswer, what: string) => {
  expect(a.headers['content-type'], `${what}: ${a.status} ${a.body.slice(0, 200)}`).toMatch(
    /^application\/problem\+json/,
  );
  const body = JSON.parse(a.body) as Record<string, unknown>;
  expect(body, what).toMatchObject({
    type: expect.stringMatching(/^https:\/\/thread-ledger\.dev\/problems\/[a-z-]+$/),
    title: expect.any(String),
    status: a.status,
    detail: expect.any(String),
  });
  return body;
};

describe('HTTP edges, through a real listening server', () => {
  const server = useHttpServer();
  let f: Fixture;
  let base: string;
  let port: number;
  beforeEach(() => {
    ({ f, base, port } = server);
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers every 4xx, from the router, the body parser or Node itself, as a problem document (raw-socket fuzz, seeded)', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? 0x7e1ed9e5);
    const r = prng(seed);
    const created = await post('/v1/threads', { cwd: '/w', modelProvider: 'openai' });
    const id = ((await created.json()) as { threadId: string }).threadId;
    const paths = [
      '/v1/threads',
      `/v1/threads/${id}`,
      `/v1/threads/${id}/name`,
      `/v1/threads/${id}/archive`,
      `/v1/threads/${id}/history`,
      '/v1/deletions',
      `/v1/deletions/${id}`,
      '/metrics',
      '/rpc',
      '/healthz',
    ];
    const req = (line: string, headers: string[], body: Buffer | string = '') =>
      Buffer.concat([
        Buffer.from(`${line}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1'),
        Buffer.isBuffer(body) ? body : Buffer.from(body),
      ]);
    const host = `Host: 127.0.0.1:${port}`;
    const auth = (t: string) => `Authorization: Bearer ${t}`;
    const json = (body: Buffer | string, type = 'application/json') => [
      host,
      auth(W),
      `Content-Type: ${type}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ];
    const junkPercent = [
      '%',
      '%z',
      '%zz',
      '%E0%A4%A',
      '%C0%AF',
      '%FF',
      '%%',
      '%u0041',
      '%ED%A0%80',
    ];
    const deep = (n: number) => `{"cwd":${'['.repeat(n)}${']'.repeat(n)},"modelProvider":"x"}`;
    const badBodies = [
      '{"cwd": ',
      '{"cwd":"/w","modelProvider":"x",}',
      '{cwd:"/w"}',
      "{'cwd':'/w'}",
      '[',
      '{"a":1}}',
      'nul',
      'NaN',
      '{"cwd":"/w","modelProvider":"x"} trailing',
      '{"__proto__":{"polluted":true},"cwd":"/w","modelProvider":"x"}',
      '{"constructor":{"prototype":{"polluted":true}},"cwd":"/w","modelProvider":"x"}',
      '[]',
      '"text"',
      'null',
      '0',
      'true',
      '{"cwd":"/w","modelProvider":"x","createdAt":"soon"}',
      deep(50),
      deep(5000),
      '\uFEFF{"cwd":"/w","modelProvider":"x"',
      '{"cwd":"\\ud800","modelProvider":1}',
    ];
    type Case = { family: string; bytes: Buffer; statuses?: number[] };
    const families: Record<string, () => Case> = {
      'long URL': () => {
        const n = r.pick([150, 1000, 9000, 12_000, 20_000, 70_000]);
        const inQuery = r.next() < 0.5;
        const target = inQuery
          ? `/v1/threads?cwd=${'c'.repeat(n)}`
          : `/v1/threads/${'a'.repeat(n)}`;
        return {
          family: 'long URL',
          bytes: req(`GET ${target} HTTP/1.1`, [host, auth(A), 'Connection: close']),
          statuses: n < 8000 ? (inQuery ? [200] : [414]) : n > 16_000 ? [414, 431] : [414],
        };
      },
      'bad percent-encoding': () => {
        const junk = r.pick(junkPercent);
        const target = r.pick([
          `/v1/threads/${junk}`,
          `/v1/threads/${id}${junk}/name`,
          `/v1/deletions/${junk}x`,
          `/v1/threads?cwd=${junk}`,
          `/v1/${junk}threads`,
        ]);
        return {
          family: 'bad percent-encoding',
          bytes: req(`${r.pick(['GET', 'POST', 'DELETE'])} ${target} HTTP/1.1`, [
            host,
            auth(r.pick([W, A])),
            'Content-Length: 0',
            'Connection: close',
          ]),
        };
      },
      'unparseable URL': () => {
        const target = r.pick([
          '*',
          '//',
          '///etc/passwd',
          'http://[::1/x',
          'http://attacker.example/v1/threads',
          'v1/threads',
          '/v1/threads\x7f',
          '/v1/\x01threads',
          '/v1/threads#frag',
          '/..%2f..%2fetc',
          '/v1/threads/\xff\xfe',
          '/\\v1\\threads',
          '?',
          '/v1/threads?\x00=1',
        ]);
        return {
          family: 'unparseable URL',
          bytes: req(`GET ${target} HTTP/1.1`, [host, auth(A), 'Connection: close']),
        };
      },
      'huge headers': () => {
        const many = r.next() < 0.5;
        const headers = many
          ? Array.from({ length: r.int(700, 3000) }, (_, i) => `X-H${i}: ${'v'.repeat(20)}`)
          : [`X-Big: ${'b'.repeat(r.pick([17_000, 40_000, 100_000]))}`];
        return {
          family: 'huge headers',
          bytes: req(`GET /v1/threads HTTP/1.1`, [host, auth(A), ...headers, 'Connection: close']),
          statuses: [431],
        };
      },
      'bad request line': () => {
        const line = r.pick([
          'get /v1/threads HTTP/1.1',
          'GET /v1/threads',
          'GET /v1/threads HTTP/1.1 extra',
          'GET  /v1/threads HTTP/1.1',
          'GET /v1/threads HTTP/9.9',
          'GET /v1/threads HTTP/1.x',
          'BREW /v1/threads HTTP/1.1',
          'G\x00T / HTTP/1.1',
          '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
          'GET\t/\tHTTP/1.1',
          r
            .bytes(r.int(1, 64))
            .toString('latin1')
            .replace(/[\r\n]/g, ''),
          'HTTP/1.1 200 OK',
          '/v1/threads HTTP/1.1',
          'PRI * HTTP/2.0',
        ]);
        return { family: 'bad request line', bytes: req(line, [host, 'Connection: close']) };
      },
      'malformed headers': () => {
        const headers = r.pick([
          ['Bad Header: x'],
          ['X-Bad:\x00null'],
          ['NoColon'],
          [' X-Folded: x'],
          ['Content-Length: abc'],
          ['Content-Length: 1', 'Content-Length: 2'],
          ['Transfer-Encoding: chunked', 'Content-Length: 3'],
          ['Transfer-Encoding: gzip, chunked, x'],
          ['Host: a', 'Host: b'],
          ['X-Ü: y'],
        ]);
        return {
          family: 'malformed headers',
          bytes: req(
            'POST /v1/threads HTTP/1.1',
            [host, auth(W), ...headers, 'Connection: close'],
            'abc',
          ),
        };
      },
      'bad chunked body': () => {
        const body = r.pick([
          'zz\r\nabc\r\n0\r\n\r\n',
          '3\r\nabcdef\r\n0\r\n\r\n',
          '-1\r\n\r\n',
          'fffffffffffffffff\r\n',
          '3;\x00\r\nabc\r\n0\r\n\r\n',
        ]);
        return {
          family: 'bad chunked body',
          bytes: req(
            'POST /v1/threads HTTP/1.1',
            [
              host,
              auth(W),
              'Content-Type: application/json',
              'Transfer-Encoding: chunked',
              'Connection: close',
            ],
            body,
          ),
        };
      },
      'bad JSON': () => {
        const body =
          r.next() < 0.8
            ? r.pick(badBodies)
            : Buffer.concat([Buffer.from('{"cwd":"'), r.bytes(r.int(1, 200)), Buffer.from('"}')]);
        const path = r.pick([
          '/v1/threads',
          `/v1/threads/${id}/name`,
          `/v1/threads/${id}/subagents`,
        ]);
        return { family: 'bad JSON', bytes: req(`POST ${path} HTTP/1.1`, json(body), body) };
      },
      'empty JSON': () => ({
        family: 'empty JSON',
        bytes: req('POST /v1/threads HTTP/1.1', json('')),
        statuses: [400],
      }),
      'wrong content type': () => {
        const type = r.pick([
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/jsonx',
          'image/png',
          'json',
          ';',
          'application/json; charset=utf-16',
          '*/*',
          'text/html; charset=\x7f',
        ]);
        return {
          family: 'wrong content type',
          bytes: req(
            `POST ${r.pick(['/v1/threads', `/v1/threads/${id}/name`])} HTTP/1.1`,
            json('{"cwd":"/w","modelProvider":"x"}', type),
            '{"cwd":"/w","modelProvider":"x"}',
          ),
        };
      },
      'body too large': () => {
        const n = r.pick([256 * 1024 + 1, 400_000, 1_000_000]);
        const body = `{"cwd":"${'x'.repeat(n)}"}`;
        return {
          family: 'body too large',
          bytes: req('POST /v1/threads HTTP/1.1', json(body), r.next() < 0.5 ? body : ''),
          statuses: [413],
        };
      },
      'unknown route': () => {
        const path = r.pick([
          '/',
          '/v2/threads',
          '/v1/thread',
          '/v1/threads//x',
          `/v1/threads/${id}/nope`,
          '/admin',
          '/.env',
          '/v1/threads/x/y/z',
        ]);
        return {
          family: 'unknown route',
          bytes: req(`${r.pick(['GET', 'POST', 'DELETE'])} ${path} HTTP/1.1`, [
            host,
            auth(W),
            'Content-Length: 0',
            'Connection: close',
          ]),
          statuses: [404],
        };
      },
      'wrong method': () => {
        const [method, path] = r.pick([
          ['PUT', '/v1/threads'],
          ['PATCH', `/v1/threads/${id}`],
          ['DELETE', '/v1/threads'],
          ['GET', `/v1/threads/${id}/name`],
          ['POST', `/v1/threads/${id}`],
          ['OPTIONS', '/v1/threads'],
          ['TRACE', '/v1/threads'],
          ['PROPFIND', `/v1/deletions/${id}`],
          ['POST', '/healthz'],
          ['PUT', '/metrics'],
        ] as const);
        return {
          family: 'wrong method',
          bytes: req(`${method} ${path} HTTP/1.1`, [
            host,
            auth(W),
            'Content-Length: 0',
            'Connection: close',
          ]),
          statuses: [405],
        };
      },
      'bad upgrade': () => {
        const headers = r.pick([
          ['Upgrade: websocket'],
          ['Upgrade: websocket', 'Sec-WebSocket-Version: 13'],
          ['Upgrade: websocket', 'Sec-WebSocket-Key: short', 'Sec-WebSocket-Version: 13'],
          [
            'Upgrade: websocket',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 99',
          ],
          ['Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'],
          [
            'Upgrade: websocket',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 13',
            'Sec-WebSocket-Protocol: a,,b',
          ],
        ]);
        const [method, path] = r.pick([
          ['GET', '/rpc'],
          ['POST', '/rpc'],
          ['GET', '/v1/threads'],
          ['GET', '/nowhere'],
        ] as const);
        return {
          family: 'bad upgrade',
          bytes: req(`${method} ${path} HTTP/1.1`, [
            host,
            auth(A),
            'Connection: Upgrade',
            ...headers,
          ]),
        };
      },
      'plain GET of the socket': () => ({
        family: 'plain GET of the socket',
        bytes: req('GET /rpc HTTP/1.1', [host, auth(A), 'Connection: close']),
        statuses: [426],
      }),
      'unmet expectation': () => ({
        family: 'unmet expectation',
        bytes: req(
          'POST /v1/threads HTTP/1.1',
          [...json('{}'), `Expect: ${r.pick(['200-ok', 'x', 'continue', '101-switch'])}`],
          '{}',
        ),
        statuses: [417],
      }),
      'no Host': () => ({
        family: 'no Host',
        bytes: req(`GET ${r.pick(paths)} HTTP/1.1`, [auth(A), 'Connection: close']),
        statuses: [400],
      }),
      'bad credentials': () => {
        const value = r.pick([
          'Bearer',
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          `Bearer ${W} extra`,
          `Bearer ${'x'.repeat(5000)}`,
          'Bearer \u00e9\u00e9',
          `bearer${W}`,
          `Token ${W}`,
        ]);
        return {
          family: 'bad credentials',
          bytes: req(`GET /v1/threads HTTP/1.1`, [
            host,
            `Authorization: ${value}`,
            'Connection: close',
          ]),
          statuses: [401],
        };
      },
    };

    const cases: Case[] = Object.values(families).flatMap((make) =>
      Array.from({ length: 18 }, make),
    );
    const started = Date.now();
    const answers: { c: Case; a: RawAnswer }[] = [];
    const unanswered: string[] = [];
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          try {
            answers.push({ c, a: await rawRequest(port, c.bytes) });
          } catch (err) {
            unanswered.push(
              `${c.family} (seed ${seed}): ${JSON.stringify(c.bytes.subarray(0, 300).toString('latin1'))}: ${(err as Error).message}`,
            );
          }
        }
      }),
    );
    const wrong: string[] = [];
    const byStatus = new Map<number, number>();
    for (const { c, a } of answers) {
      const what = `${c.family} (seed ${seed}): ${JSON.stringify(c.bytes.subarray(0, 160).toString('latin1'))} -> ${a.status} ${a.headers['content-type']} ${a.body.slice(0, 160)}`;
      byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      if (a.status >= 500) wrong.push(`server error: ${what}`);
      if (c.statuses && !c.statuses.includes(a.status))
        wrong.push(`expected ${c.statuses.join(' or ')}: ${what}`);
      if (a.status < 400 || a.status >= 500) continue;
      try {
        problemOf(a, what);
      } catch {
        wrong.push(`not a problem document: ${what}`);
      }
    }
    expect(unanswered).toEqual([]);
    expect(wrong).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect([...byStatus.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(8); // the run did reach many kinds of refusal
    expect(Date.now() - started).toBeLessThan(10_000);
    // And the server still serves.
    expect(
      (await fetch(`${base}/v1/threads/${id}`, { headers: { authorization: `Bearer ${A}` } }))
        .status,
    ).toBe(200);
  });

  it('gives each kind of refusal its own stable problem type', async () => {
    const send = (bytes: string) => rawRequest(port, bytes);
    const h = `Host: 127.0.0.1:${port}\r\nAuthorization: Bearer ${W}\r\nConnection: close`;
    const kinds: [string, string, number, string][] = [
      [
        'long path segment',
        `GET /v1/threads/${'a'.repeat(200)} HTTP/1.1\r\n${h}\r\n\r\n`,
        414,
        'uri-too-long',
      ],
      [
        'long URL',
        `GET /v1/threads?cwd=${'a'.repeat(10_000)} HTTP/1.1\r\n${h}\r\n\r\n`,
        414,
        'uri-too-long',
      ],
      [
        'very long URL',
        `GET /v1/threads?cwd=${'a'.repeat(20_000)} HTTP/1.1\r\n${h}\r\n\r\n`,
        414,
        'uri-too-long',
      ],
      [
        'huge header',
        `GET /v1/threads HTTP/1.1\r\n${h}\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
        431,
        'headers-too-large',
      ],
      ['bad percent-encoding', `GET /v1/threads/%zz HTTP/1.1\r\n${h}\r\n\r\n`, 400, 'bad-url'],
      ['bad request line', `get / HTTP/1.1\r\n${h}\r\n\r\n`, 400, 'malformed-request'],
      ['unknown route', `GET /v2 HTTP/1.1\r\n${h}\r\n\r\n`, 404, 'route-not-found'],
      ['wrong method', `PUT /v1/threads HTTP/1.1\r\n${h}\r\n\r\n`, 405, 'method-not-allowed'],
      [
        'bad JSON',
        `POST /v1/threads HTTP/1.1\r\n${h}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{x`,
        400,
        'malformed-json',
      ],
      [
        'wrong media type',
        `POST /v1/threads HTTP/1.1\r\n${h}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}`,
        415,
        'unsupported-media-type',
      ],
      [
        'compressed body',
        `POST /v1/threads HTTP/1.1\r\n${h}\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        415,
        'unsupported-media-type',
      ],
      [
        'missing static file',
        `GET /docs/static/nothing.js HTTP/1.1\r\n${h}\r\n\r\n`,
        404,
        'route-not-found',
      ],
      [
        'body too large',
        `POST /v1/threads HTTP/1.1\r\n${h}\r\nContent-Type: application/json\r\nContent-Length: 300000\r\n\r\n{}`,
        413,
        'body-too-large',
      ],
      [
        'unmet expectation',
        `POST /v1/threads HTTP/1.1\r\n${h}\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        417,
        'expectation-failed',
      ],
      [
        'no Host',
        `GET /v1/threads HTTP/1.1\r\nAuthorization: Bearer ${A}\r\nConnection: close\r\n\r\n`,
        400,
        'host-required',
      ],
      [
        'plain GET of the socket',
        `GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${A}\r\nConnection: close\r\n\r\n`,
        426,
        'upgrade-required',
      ],
      [
        'bad WebSocket handshake',
        `GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${A}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        400,
        'bad-upgrade',
      ],
    ];
    for (const [what, bytes, status, type] of kinds) {
      const a = await send(bytes);
      expect(a.status, `${what}: ${a.body}`).toBe(status);
      expect(problemOf(a, what)['type'], what).toBe(`${PROBLEM}${type}`);
    }
    const allowed = await send(
      `PATCH /v1/threads/${'01a21371-4b35-72ca-ac7d-282102267fc9'} HTTP/1.1\r\n${h}\r\n\r\n`,
    );
    expect(allowed.headers['allow']).toBe('DELETE, GET, HEAD');
  });

  it('keys the rate limit on the authenticated subject, and on the address for anything else', async () => {
    const limited = await buildServer(f.ledger, {
      tokens: TOKENS,
      dataDir: join(f.dir, 'data'),
      rateLimitPerMinute: 3,
    });
    const url = await limited.listen({ host: '127.0.0.1', port: 0 });
    const get = (authorization?: string) =>
      fetch(`${url}/v1/threads`, { headers: authorization === undefined ? {} : { authorization } });
    try {
      // One subject, however its header is spelled: one bucket.
      const spellings = [`Bearer ${A}`, `Bearer    ${A}`, `bearer ${A}`, `Bearer\t${A}`];
      const statuses = [];
      for (const h of spellings) statuses.push((await get(h)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Made-up tokens (and none, and malformed headers) share the address's bucket: limited too.
      const made = [];
      for (let i = 0; i < 5; i++)
        made.push((await get(`Bearer made-up-token-${i}-0123456789`)).status);
      expect(made).toEqual([401, 401, 401, 429, 429]);
      expect((await get()).status).toBe(429);
      expect((await get('Basic x')).status).toBe(429);
      const refused = await get('Bearer another-made-up-one');
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await refused.json()) as { type: string }).type).toBe(`${PROBLEM}rate-limited`);
      // Neither the flood of made-up tokens nor the auditor's use stop the writer (its own bucket).
      expect(
        (
          await fetch(`${url}/v1/threads`, {
            method: 'POST',
            headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json' },
            body: '{"cwd":"/w","modelProvider":"x"}',
          })
        ).status,
      ).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('with no tokens, answers only requests addressed to a loopback host (no DNS rebinding)', async () => {
    const open = await buildServer(f.ledger, { dataDir: join(f.dir, 'data') });
    const url = await open.listen({ host: '127.0.0.1', port: 0 });
    const openPort = Number(new URL(url).port);
    try {
      const withHost = (hostHeader: string | null, path = '/v1/threads') =>
        rawRequest(
          openPort,
          `GET ${path} HTTP/1.1\r\n${hostHeader === null ? '' : `Host: ${hostHeader}\r\n`}Connection: close\r\n\r\n`,
        );
      for (const ok of [
        'localhost',
        `localhost:${openPort}`,
        'LOCALHOST:1',
        '127.0.0.1',
        `127.0.0.1:${openPort}`,
        '127.1.2.3:80',
        '[::1]',
        `[::1]:${openPort}`,
      ]) {
        expect((await withHost(ok)).status, ok).toBe(200);
      }
      for (const bad of [
        'attacker.example',
        `attacker.example:${openPort}`,
        'localhost.attacker.example',
        '127.0.0.1.nip.io',
        '128.0.0.1',
        '127.0.0.256',
        '0.0.0.0',
        '[::2]',
        '[::ffff:127.0.0.1]x',
        'localhost:x',
        '',
      ]) {
        for (const path of ['/v1/threads', '/healthz', '/openapi.json', '/nowhere']) {
          const a = await withHost(bad, path);
          expect(a.status, `${bad} ${path}`).toBe(421);
          expect(problemOf(a, bad)['type']).toBe(`${PROBLEM}host-not-allowed`);
        }
      }
      expect((await withHost(null)).status).toBe(400);
      // HTTP/1.0 may leave Host out; a browser never does. Refused all the same in open mode.
      expect((await rawRequest(openPort, 'GET /v1/threads HTTP/1.0\r\n\r\n')).status).toBe(421);
      // The WebSocket too: a rebinding page cannot open /rpc.
      const ws = new WebSocket(`ws://127.0.0.1:${openPort}/rpc`, {
        headers: { host: 'attacker.example' },
      });
      expect(
        await new Promise((res) => ws.once('unexpected-response', (_req, r) => res(r.statusCode))),
      ).toBe(421);
      expect((await fetch(`${url}/v1/threads`)).status).toBe(200);
    } finally {
      await open.close();
    }
    // With tokens, the token is what counts: another Host name is served (behind a proxy, say).
    expect(
      (
        await rawRequest(
          port,
          `GET /v1/threads HTTP/1.1\r\nHost: ledger.internal\r\nAuthorization: Bearer ${A}\r\nConnection: close\r\n\r\n`,
        )
      ).status,
    ).toBe(200);
  });
});
