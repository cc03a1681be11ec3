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
