import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/app/ledger.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { KeyStoreUnavailableError } from '../../src/io/keys/keyStore.js';
import { openLedger } from '../../src/main/openLedger.js';
import { exited, listeningOn, startCli } from '../support/cli.js';
import { EsdbTestServer } from '../support/esdb/esdbTestServer.js';
import { startKeyServiceProcess } from '../support/keyServiceProcess.js';
import { ctx } from '../support/ledgerFixture.js';
import { readLog } from '../support/log.js';
import { tempDir } from '../support/tempDir.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

/** Every file under `dir` that holds these bytes. */
const holding = (dir: string, needle: Buffer): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && readFileSync(join(e.parentPath, e.name)).includes(needle))
    .map((e) => join(e.parentPath, e.name));

describe('two instances on one EventStoreDB log, sharing the key service', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const setUp = async () => {
    const tmp = await tempDir();
    const esdb = new EsdbTestServer();
    const connection = await esdb.start();
    let keys = await startKeyServiceProcess(join(tmp.path, 'keys'));
    const roots = join(tmp.path, 'sessions');
    mkdirSync(roots, { recursive: true });
    const instances: Ledger[] = [];
    const open = (name: string) => {
      const l = openLedger({
        dataDir: join(tmp.path, name),
        rolloutRoots: [roots],
        eventStoreConnectionString: connection,
        keyService: keys.client,
        pollMs: 5,
      });
      instances.push(l);
      return l;
    };
    cleanups.push(async () => {
      for (const l of instances) await l.close();
      await keys.stop();
      await esdb.stop();
      await tmp.remove();
    });
    const start = async (on: Ledger, name: string) => {
      const id = newId();
      const rolloutPath = join(roots, `rollout-${id}.jsonl`);
      writeFileSync(rolloutPath, `{"type":"session_meta","payload":{"id":"${id}"}}\n`);
      unwrap(await on.lifecycle.start(startedData({ threadId: id, rolloutPath, name }), ctx));
      return id;
    };
    return {
      tmp: tmp.path,
      a: open('instance-a'),
      b: open('instance-b'),
      keys: () => keys,
      async restartKeys(): Promise<void> {
        const port = keys.port;
        await keys.stop();
        keys = await startKeyServiceProcess(keys.dataDir, port);
      },
      stopKeys: () => keys.stop(),
      start,
    };
  };

  it('each reads what the other wrote; a key shredded through one is gone for both, and from every file', async () => {
    const s = await setUp();
    const secret = `Quarterly plan ${newId()}`;
    const id = await s.start(s.a, secret);
    await s.b.runner.catchUp();
    expect(s.b.queries.sessionName(id)).toBe(secret); // B opens what A sealed: one key, shared
    unwrap(await s.b.lifecycle.rename(id, `${secret} v2`, ctx));
    await s.a.runner.catchUp();
    expect(s.a.queries.sessionName(id)).toBe(`${secret} v2`);

    const key = (await s.a.keys.getMany([id])).get(id)!;
    expect(holding(s.keys().dataDir, key).length).toBeGreaterThan(0); // the scan sees a live key
    // The instances never store a key: only the key service has one.
    expect(holding(join(s.tmp, 'instance-a'), key)).toEqual([]);
    expect(holding(join(s.tmp, 'instance-b'), key)).toEqual([]);

    // A takes the delete; B's worker carries it out, shredding through the key service.
    unwrap(await s.a.lifecycle.delete(id, null, ctx));
    await s.b.worker.runPass();
    expect((await s.a.repo.load(id)).state.status).toBe('deleted');
    await s.a.runner.catchUp();
    expect((await s.a.keys.getMany([id])).size).toBe(0);
    // Both read the log back with the content sealed for good.
    for (const l of [s.a, s.b]) {
      const names = (await readLog(l)).flatMap((e) =>
        e.event.type === 'ThreadStarted' || e.event.type === 'ThreadRenamed'
          ? [e.event.data.name]
          : [],
      );
      expect(names).toEqual([null, null]);
    }
    await s.b.runner.catchUp();
    expect(holding(s.tmp, key)).toEqual([]);
    expect(holding(s.tmp, Buffer.from('Quarterly plan'))).toEqual([]);
  });

  it('refuses content while the key service is down, writing nothing, and goes on once it is back', async () => {
    const s = await setUp();
    await s.stopKeys();
    const id = newId() as ThreadId;
    await expect(
      s.a.lifecycle.start(startedData({ threadId: id, name: 'written while down' }), ctx),
    ).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    expect((await s.a.repo.load(id)).revision).toBe('no_stream'); // nothing half-written

    await s.restartKeys();
    unwrap(
      await s.a.lifecycle.start(startedData({ threadId: id, name: 'written while down' }), ctx),
    );
    await s.b.runner.catchUp();
    expect(s.b.queries.sessionName(id)).toBe('written while down');
  });
});

describe('two `serve` processes on one EventStoreDB log and one key service, as docker-compose.yml deploys them', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a write through one instance is read through the other; a delete through the other is 410 on the first', async () => {
    const tmp = await tempDir();
    const esdb = new EsdbTestServer();
    const connection = await esdb.start();
    const keys = await startKeyServiceProcess(join(tmp.path, 'keys'));
    cleanups.push(async () => {
      await keys.stop();
      await esdb.stop();
      await tmp.remove();
    });
    const token = 'compose-writer-token-0123456789';
    const env = {
      EVENTSTORE_CONNECTION_STRING: connection,
      KEY_SERVICE_URL: keys.client.url,
      KEY_SERVICE_TOKEN: keys.client.token,
      LEDGER_TOKENS: JSON.stringify([{ token, subject: 'svc', roles: ['writer', 'auditor'] }]),
      LEDGER_ROLLOUT_ROOTS: join(tmp.path, 'sessions'),
      LEDGER_LOG: 'off',
      HOST: '127.0.0.1',
      PORT: '0',
    };
    const serve = async (name: string) => {
      const child = startCli(['serve', '--data', join(tmp.path, name)], env);
      cleanups.push(async () => {
        child.kill('SIGTERM');
        await exited(child);
      });
      const url = await listeningOn(child);
      if (!url) throw new Error(child.output());
      return async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: (await res.json()) as any };
      };
    };
    const [one, two] = await Promise.all([serve('instance-1'), serve('instance-2')]);

    const created = await one('POST', '/v1/threads', {
      cwd: '/w',
      modelProvider: 'openai',
      name: 'Shared across instances',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.threadId as string;
    // Read-your-writes on the other instance: it waits until its read models reach that log position.
    const read = await two('GET', `/v1/threads/${id}?minPosition=${created.body.position}`);
    expect(read.status).toBe(200);
    expect(read.body.thread).toMatchObject({ id, name: 'Shared across instances' });

    const deleted = await two('DELETE', `/v1/threads/${id}?wait=10000`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.deletion.status).toBe('deleted');
    const gone = await one(
      'GET',
      `/v1/threads/${id}?minPosition=${deleted.body.deletion.position}`,
    );
    expect(gone.status).toBe(410);
    const history = await one('GET', `/v1/threads/${id}/history`);
    expect(history.status).toBe(200);
    const started = history.body.events.find((e: { type: string }) => e.type === 'ThreadStarted');
    expect(JSON.stringify(started.data)).not.toContain('Shared across instances'); // sealed, and its key destroyed

    // The key service goes away: a command with content is refused as unavailable, saying what
    // is down but not where it is.
    await keys.stop();
    const down = await one('POST', '/v1/threads', {
      cwd: '/w',
      modelProvider: 'openai',
      name: 'while the keys are away',
    });
    expect(down.status).toBe(503);
    expect(down.body.detail).toBe('the key service cannot be reached now; retry later');
  });
});
