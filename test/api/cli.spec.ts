import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyServiceClient } from '../../src/io/keys/keyServiceClient.js';
import { KeyStoreUnavailableError } from '../../src/io/keys/keyStore.js';
import { loadKeyServiceClient } from '../../src/main/config.js';
import { allProjections } from '../../src/projections/readModels.js';
import { exited, listeningOn, startCli } from '../support/cli.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { startKeyServiceProcess } from '../support/keyServiceProcess.js';
import { ctx, ledgerFixture } from '../support/ledgerFixture.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { tempDir } from '../support/tempDir.js';
import { makeTestPki } from '../support/tlsCerts.js';
import { unwrap } from '../support/unwrap.js';

describe('thread-ledger serve', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('listens where HOST and PORT say, and answers /healthz and /readyz', async () => {
    const dir = await tempDir();
    const child = startCli(['serve', '--data', dir.path], {
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_TOKENS: '',
    });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited(child);
      await dir.remove();
    });
    const address = await listeningOn(child);
    expect(address, child.output()).toBeDefined();
    expect(child.output()).toContain('no tokens configured: listening on loopback only');
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${address}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', projectionLag: 0 });
  });

  it('refuses a bad PORT with a clear message, and an unknown command', async () => {
    const bad = startCli(['serve', '--data', '/tmp/never-used'], { PORT: 'eighty' });
    expect((await exited(bad)).code).toBe(2);
    expect(bad.output()).toContain('PORT must be an integer from 0 to 65535, got "eighty"');
    const exposed = startCli(['serve', '--data', '/tmp/never-used'], {
      HOST: '0.0.0.0',
      PORT: '0',
      LEDGER_TOKENS: '',
    });
    expect((await exited(exposed)).code).toBe(2);
    expect(exposed.output()).toContain(
      'no tokens configured (LEDGER_TOKENS or LEDGER_TOKENS_FILE): refusing to listen on 0.0.0.0',
    );
    const weak = startCli(['serve', '--data', '/tmp/never-used'], {
      LEDGER_TOKENS: '[{"token":"short","subject":"x","roles":["writer"]}]',
    });
    expect((await exited(weak)).code).toBe(2);
    expect(weak.output()).toContain('the token of x is shorter than 16 characters');
    const unknown = startCli(['explode']);
    expect((await exited(unknown)).code).toBe(2);
    expect(unknown.output()).toContain('unknown command "explode"');
  });
});

describe('thread-ledger settings', () => {
  it('a bad setting is refused before anything is created: LEDGER_RATE_LIMIT=abc leaves no data folder', async () => {
    // Given a data folder that does not exist yet
    const dir = await tempDir();
    const data = join(dir.path, 'data');
    // When serve starts with a rate limit that is not a number
    const child = startCli(['serve', '--data', data], {
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_TOKENS: '',
      LEDGER_RATE_LIMIT: 'abc',
    });
    // Then it is refused, naming the setting, and nothing was opened or created
    expect((await exited(child)).code).toBe(2);
    expect(child.output()).toContain(
      'LEDGER_RATE_LIMIT must be a positive integer (requests a minute per token), got "abc"',
    );
    expect(existsSync(data)).toBe(false);
    await dir.remove();
  });
});

describe('thread-ledger rebuild', () => {
  it('rebuilds the read models of a data folder from the log, showing progress, to the same rows', async () => {
    const f = await ledgerFixture();
    const { root } = await f.tree(30, 2);
    await f.root('kept');
    unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
    await f.ledger.worker.runPass();
    await f.ledger.runner.catchUp();
    const rows = () =>
      allProjections.flatMap((p) =>
        p.tables.map((t) => f.ledger.readDb.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()),
      );
    const before = rows();
    await f.ledger.close();

    const child = startCli(['rebuild', '--data', join(f.dir, 'data')]);
    expect((await exited(child)).code, child.output()).toBe(0);
    expect(child.output()).toMatch(
      /rebuild: done, \d+ events in [\d.]+ s, read models at position \d+/,
    );

    f.reopen();
    expect(rows()).toEqual(before);
    await f.close();
  });
});

describe('thread-ledger key-service', () => {
  it('refuses to start without a strong token, and refuses half a TLS configuration', async () => {
    const none = startCli(['key-service', '--data', '/tmp/never-used', '--port', '0'], {
      KEY_SERVICE_TOKEN: '',
    });
    expect((await exited(none)).code).toBe(2);
    expect(none.output()).toContain('KEY_SERVICE_TOKEN must be set, at least 32 characters');
    const halfTls = startCli(['key-service', '--data', '/tmp/never-used', '--port', '0'], {
      KEY_SERVICE_TOKEN: 'x'.repeat(32),
      KEY_SERVICE_TLS_CERT: '/etc/hostname',
      KEY_SERVICE_TLS_KEY: '',
    });
    expect((await exited(halfTls)).code).toBe(2);
    expect(halfTls.output()).toContain('KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY go together');
    const missing = startCli(['key-service', '--data', '/tmp/never-used', '--port', '0'], {
      KEY_SERVICE_TOKEN: 'x'.repeat(32),
      KEY_SERVICE_TLS_CA: '/nonexistent/ca.pem',
    });
    expect((await exited(missing)).code).toBe(2);
    expect(missing.output()).toContain('KEY_SERVICE_TLS_CA: cannot read /nonexistent/ca.pem');
    const caAlone = startCli(['key-service', '--data', '/tmp/never-used', '--port', '0'], {
      KEY_SERVICE_TOKEN: 'x'.repeat(32),
      KEY_SERVICE_TLS_CA: '/etc/hostname',
    });
    expect((await exited(caAlone)).code).toBe(2);
    expect(caAlone.output()).toContain(
      'KEY_SERVICE_TLS_CA requires KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY',
    );
  });

  it('an instance refuses a key service URL or a connection string it cannot use, before touching anything', async () => {
    const dir = await tempDir();
    const bad = startCli(['worker', '--data', dir.path, '--until-idle'], {
      KEY_SERVICE_URL: 'keys:8090',
      KEY_SERVICE_TOKEN: 'x'.repeat(32),
    });
    expect((await exited(bad)).code).toBe(2);
    expect(bad.output()).toContain(
      'KEY_SERVICE_URL must be an http:// or https:// URL, got "keys:8090"',
    );
    const noToken = startCli(['worker', '--data', dir.path, '--until-idle'], {
      KEY_SERVICE_URL: 'http://127.0.0.1:1',
      KEY_SERVICE_TOKEN: '',
    });
    expect((await exited(noToken)).code).toBe(2);
    expect(noToken.output()).toContain('KEY_SERVICE_TOKEN must be set');
    const tlsOverHttp = startCli(['worker', '--data', dir.path, '--until-idle'], {
      KEY_SERVICE_URL: 'http://keys:8090',
      KEY_SERVICE_TOKEN: 'x'.repeat(32),
      KEY_SERVICE_TLS_CA: '/etc/hostname',
    });
    expect((await exited(tlsOverHttp)).code).toBe(2);
    expect(tlsOverHttp.output()).toContain(
      'KEY_SERVICE_TLS_* is set but KEY_SERVICE_URL is http://',
    );
    const badStore = startCli(['worker', '--data', dir.path, '--until-idle'], {
      EVENTSTORE_CONNECTION_STRING: 'kurrent-please',
    });
    expect((await exited(badStore)).code).toBe(2);
    expect(badStore.output()).toContain(
      'EVENTSTORE_CONNECTION_STRING is not valid: Unexpected "k" at position 0',
    );
    // Refused by the configuration, before a data folder that does not exist yet is made.
    const badStoreFresh = startCli(['worker', '--data', join(dir.path, 'fresh'), '--until-idle'], {
      EVENTSTORE_CONNECTION_STRING: 'esdb://',
    });
    expect((await exited(badStoreFresh)).code).toBe(2);
    expect(badStoreFresh.output()).toContain('EVENTSTORE_CONNECTION_STRING is not valid');
    expect(readdirSync(dir.path)).toEqual([]);
    await dir.remove();
  });
});

describe('thread-ledger key-service over mutual TLS, configured from the environment', () => {
  it('serves an instance whose certificate its CA signed, and no one else', async () => {
    const dir = await tempDir();
    const pki = makeTestPki(dir.path);
    const token = 't'.repeat(40);
    const child = startCli(['key-service', '--data', join(dir.path, 'keys'), '--port', '0'], {
      KEY_SERVICE_TOKEN: token,
      KEY_SERVICE_TLS_CERT: pki.files['server.crt'],
      KEY_SERVICE_TLS_KEY: pki.files['server.key'],
      KEY_SERVICE_TLS_CA: pki.files['ca.crt'],
      LEDGER_LOG: 'off',
    });
    try {
      const url = await listeningOn(child);
      expect(url, child.output()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const instance = loadKeyServiceClient({
        KEY_SERVICE_URL: url,
        KEY_SERVICE_TOKEN: token,
        KEY_SERVICE_TLS_CA: pki.files['ca.crt'],
        KEY_SERVICE_TLS_CERT: pki.files['client.crt'],
        KEY_SERVICE_TLS_KEY: pki.files['client.key'],
      })!;
      const keys = new KeyServiceClient(instance);
      expect((await keys.ensure(['t1'])).get('t1')).toHaveLength(32);
      await keys.close();
      const anonymous = new KeyServiceClient({ ...instance, tls: { ca: pki.ca }, attempts: 1 });
      await expect(anonymous.ensure(['t2'])).rejects.toBeInstanceOf(KeyStoreUnavailableError);
      await anonymous.close();
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      await dir.remove();
    }
  });
});

describe('thread-ledger over a Codex home, scaled out: KEY_SERVICE_URL', () => {
  it('import and app-server take their content keys from the key service, keeping none in the data folder', async () => {
    // Given a key service, and two Codex homes
    const dir = await tempDir();
    const keys = await startKeyServiceProcess(join(dir.path, 'keys'));
    const env = {
      KEY_SERVICE_URL: keys.client.url,
      KEY_SERVICE_TOKEN: keys.client.token,
      LEDGER_DATA_DIR: '',
    };
    const keysHeld = () => {
      const db = new Database(join(keys.dataDir, 'keys.db'), { readonly: true });
      const { n } = db.prepare('SELECT count(*) AS n FROM content_keys').get() as { n: number };
      db.close();
      return n;
    };
    try {
      const imported = generateCodexHome(join(dir.path, 'imported'), { roots: 3, trees: 0 });
      const served = generateCodexHome(join(dir.path, 'served'), { roots: 2, trees: 0 });

      // When one home is imported from the shell with KEY_SERVICE_URL set
      const child = startCli(['import', '--codex-home', imported.home], env);
      expect((await exited(child)).code, child.output()).toBe(0);
      // Then its threads' keys are the key service's, and its data folder holds none
      expect(existsSync(join(imported.home, 'thread-ledger', 'events.db'))).toBe(true);
      expect(existsSync(join(imported.home, 'thread-ledger', 'keys.db'))).toBe(false);
      const afterImport = keysHeld();
      expect(afterImport).toBeGreaterThan(0);

      // When an app-server starts over the other home (it imports it first)
      const server = await LedgerAppServer.start(served.home, env);
      await server.result('thread/list', {});
      expect((await server.close()).code, server.output).toBe(0);
      // Then the key service holds its threads' keys too, and its data folder none
      expect(existsSync(join(served.home, 'thread-ledger', 'keys.db'))).toBe(false);
      expect(keysHeld()).toBeGreaterThan(afterImport);
    } finally {
      await keys.stop();
      await dir.remove();
    }
  });
});

describe('thread-ledger with its event store out of reach', () => {
  it('says so plainly after its retries, without a stack trace, and exits 1', async () => {
    const dir = await tempDir();
    const child = startCli(['worker', '--data', dir.path, '--until-idle'], {
      EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false',
    });
    expect((await exited(child)).code).toBe(1);
    expect(child.output()).toMatch(
      /thread-ledger: the event store cannot be reached: \w+: 14 UNAVAILABLE/,
    );
    expect(child.output()).not.toMatch(/\n\s+at /);
    await dir.remove();
  });
});
