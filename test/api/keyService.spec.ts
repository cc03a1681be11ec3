import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildKeyService } from '../../src/api/keyService.js';
import { KeyServiceClient, type KeyServiceTls } from '../../src/io/keys/keyServiceClient.js';
import { KeyStoreUnavailableError } from '../../src/io/keys/keyStore.js';
import { SqliteKeyStore } from '../../src/io/keys/sqliteKeyStore.js';
import { keyStoreContract } from '../io/keyStoreContract.js';
import { tempDir } from '../support/tempDir.js';
import { makeTestPki, type TestPki } from '../support/tlsCerts.js';

const TOKEN = 'k'.repeat(40);

/** A real key service listening on loopback over a fresh SQLite key store. */
const startKeyService = async (tls?: { cert: Buffer; key: Buffer; ca?: Buffer }) => {
  const dir = await tempDir();
  const app = await buildKeyService(new SqliteKeyStore(join(dir.path, 'keys.db')), {
    token: TOKEN,
    tls,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    async stop() {
      await app.close();
      await dir.remove();
    },
  };
};

keyStoreContract('key service over HTTP', async () => {
  const svc = await startKeyService();
  return { keys: new KeyServiceClient({ url: svc.url, token: TOKEN }), cleanup: svc.stop };
});

describe('key service', () => {
  let svc: Awaited<ReturnType<typeof startKeyService>>;
  beforeAll(async () => {
    svc = await startKeyService();
  });
  afterAll(() => svc.stop());

  const post = (path: string, body: unknown, token: string | null = TOKEN) =>
    fetch(`${svc.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers nobody without the token, and says how to authenticate', async () => {
    const id = randomUUID();
    for (const token of [null, 'x'.repeat(40)]) {
      const r = await post('/v1/keys/ensure', { threadIds: [id] }, token);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({
        detail: 'send Authorization: Bearer <KEY_SERVICE_TOKEN>',
      });
    }
    const wrong = new KeyServiceClient({ url: svc.url, token: 'y'.repeat(40) });
    await expect(wrong.ensure([id])).rejects.toThrow(/refused \/v1\/keys\/ensure \(401\)/);
    await wrong.close();
    // Nothing was made on those refused calls.
    expect((await (await post('/v1/keys/read', { threadIds: [id] })).json()).keys).toEqual({});
  });

  it.each([
    ['no body', {}, 'body: threadIds is required'],
    ['an empty list', { threadIds: [] }, 'must be ThreadIds (1 to 10000)'],
    ['a number in the list', { threadIds: [7] }, 'must be ThreadKeyId, got 7'],
    ['an empty id', { threadIds: [''] }, 'must be ThreadKeyId, got ""'],
    [
      'too many ids',
      { threadIds: Array.from({ length: 10_001 }, (_, i) => `t${i}`) },
      'must be ThreadIds (1 to 10000)',
    ],
    ['not JSON', '{"threadIds": [', 'Body is not valid JSON'],
  ])(
    'refuses %s with a 400 that says what is wrong, and makes no key',
    async (_, body, message) => {
      const r = await post('/v1/keys/ensure', body);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(((await r.json()) as { detail: string }).detail).toContain(message);
      expect((await (await post('/v1/keys/read', { threadIds: ['t0'] })).json()).keys).toEqual({});
    },
  );

  it('reports itself unavailable when it cannot be reached, after retrying', async () => {
    const gone = await startKeyService();
    await gone.stop();
    const client = new KeyServiceClient({ url: gone.url, token: TOKEN, attempts: 2 });
    await expect(client.getMany(['t1'])).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    await expect(client.getMany(['t1'])).rejects.toThrow(/cannot be reached: connect ECONNREFUSED/);
    await client.close();
  });

  it('refuses a weak token and a URL that is not HTTP', () => {
    expect(() => new KeyServiceClient({ url: svc.url, token: 'short' })).toThrow(
      /at least 32 characters/,
    );
    expect(() => new KeyServiceClient({ url: 'ftp://keys:21', token: TOKEN })).toThrow(
      /must be http:\/\/ or https:\/\//,
    );
  });
});

describe('key service over mutual TLS', () => {
  let pki: TestPki;
  let svc: Awaited<ReturnType<typeof startKeyService>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const clients: KeyServiceClient[] = [];
  const client = (tls: KeyServiceTls) => {
    const c = new KeyServiceClient({
      url: svc.url.replace('localhost', '127.0.0.1'),
      token: TOKEN,
      tls,
      attempts: 1,
    });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    dir = await tempDir();
    pki = makeTestPki(dir.path);
    svc = await startKeyService({ ...pki.server, ca: pki.ca });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });
  afterAll(async () => {
    await svc.stop();
    await dir.remove();
  });

  it('serves a client whose certificate the CA signed', async () => {
    expect(svc.url).toMatch(/^https:/);
    const keys = await client({ ca: pki.ca, ...pki.client }).ensure(['t1']);
    expect(keys.get('t1')).toHaveLength(32);
  });

  it('refuses a client without a certificate, or with one of another CA', async () => {
    await expect(client({ ca: pki.ca }).ensure(['t2'])).rejects.toBeInstanceOf(
      KeyStoreUnavailableError,
    );
    await expect(client({ ca: pki.ca, ...pki.stranger }).ensure(['t2'])).rejects.toBeInstanceOf(
      KeyStoreUnavailableError,
    );
    expect((await client({ ca: pki.ca, ...pki.client }).getMany(['t2'])).size).toBe(0);
  });

  it('is not trusted by a client that does not know its CA', async () => {
    await expect(client({ ca: pki.strangerCa, ...pki.client }).ensure(['t3'])).rejects.toThrow(
      /self-signed certificate|unable to verify|unable to get local issuer/,
    );
  });
});
