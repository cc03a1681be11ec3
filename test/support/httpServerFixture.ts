import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { type Fixture, ledgerFixture } from './ledgerFixture.js';

/** One token per role: the writer, the auditor, the admin. */
export const TOKENS = [
  { token: 'writer-token-0123456789', subject: 'svc-orders', roles: ['writer' as const] },
  { token: 'auditor-token-0123456789', subject: 'alice-audit', roles: ['auditor' as const] },
  { token: 'admin-token-0123456789ab', subject: 'ops', roles: ['admin' as const] },
];
export const W = TOKENS[0]!.token;
export const A = TOKENS[1]!.token;
export const ADM = TOKENS[2]!.token;

export type ServerFixture = { f: Fixture; app: FastifyInstance; base: string; port: number };

/**
 * A real listening server on a fresh ledger for each test (its read models followed and its
 * worker running), closed after it. The returned object is filled before each test.
 */
export const useHttpServer = (): ServerFixture => {
  const s = {} as ServerFixture;
  beforeEach(async () => {
    s.f = await ledgerFixture();
    s.f.ledger.runner.start();
    s.f.ledger.workerLoop.start();
    s.app = await buildServer(s.f.ledger, {
      tokens: TOKENS,
      dataDir: join(s.f.dir, 'data'),
      clock: () => s.f.clock.now,
    });
    s.base = await s.app.listen({ host: '127.0.0.1', port: 0 });
    s.port = Number(new URL(s.base).port);
  });
  afterEach(async () => {
    await s.app.close();
    await s.f.close();
  });
  return s;
};

/** An answer as a spec reads it: JSON parsed when it is JSON, else its text (null when empty). */
export type Answer = { status: number; type: string | null; headers: Headers; body: any };

/**
 * A request to a listening server as a token's holder (none: `null`), the body sent as JSON. An
 * event stream never ends: its status and headers are its answer.
 */
export const callServer =
  (base: () => string) =>
  async (method: string, path: string, token: string | null, body?: unknown): Promise<Answer> => {
    const abort = new AbortController();
    const res = await fetch(`${base()}${path}`, {
      method,
      signal: abort.signal,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = {
      status: res.status,
      type: res.headers.get('content-type'),
      headers: res.headers,
    };
    if (answer.type?.startsWith('text/event-stream')) {
      abort.abort();
      return { ...answer, body: null };
    }
    const text = await res.text();
    if (text === '') return { ...answer, body: null };
    try {
      return { ...answer, body: JSON.parse(text) };
    } catch {
      return { ...answer, body: text };
    }
  };
