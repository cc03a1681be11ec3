import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import type { EventStore } from '../../src/store/eventStore.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { exited, startCli } from '../support/cli.js';
import { startKeyServiceProcess } from '../support/keyServiceProcess.js';
import { ctx, type Fixture, ledgerFixture } from '../support/ledgerFixture.js';
import { countBy, readLog } from '../support/log.js';
import { unwrap } from '../support/unwrap.js';

// Several processes (workers, the ESDB test server, the key service) per spec: ~17 s on an idle
// 2-core machine, over 60 s when it is loaded. The time limit is generous; the checks are not.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const SIZE = 400;

/** How many events of a type the log holds, read as any other reader would. */
const countOf = async (store: EventStore, type: string): Promise<number> => {
  let n = 0;
  let after: bigint | null = null;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 5000 });
    if (page.length === 0) return n;
    n += page.filter((e) => e.type === type).length;
    after = page[page.length - 1]!.position;
  }
};

describe.each(['sqlite', 'esdb'] as const)(
  'a deletion worker killed mid-purge (%s store)',
  (backend) => {
    let f: Fixture;
    afterEach(() => f.close());

    it('resumes after SIGKILL and completes with no duplicate and no missing event', async () => {
      f = await ledgerFixture({ backend });
      const { root, all } = await f.tree(SIZE, 3);
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      await f.ledger.close();

      const args = [
        'worker',
        '--data',
        join(f.dir, 'data'),
        '--rollout-root',
        f.rolloutRoot,
        '--batch-size',
        '4',
      ];
      const env = { EVENTSTORE_CONNECTION_STRING: f.connection ?? '' };
      const log: EventStore = f.connection
        ? new EsdbEventStore(f.connection)
        : new SqliteEventStore(join(f.dir, 'data', 'events.db'));

      // First run: killed hard once it is well into the purge.
      const first = startCli(args, env);
      while ((await countOf(log, 'RolloutPurged')) < 60 && first.exitCode === null)
        await new Promise((r) => setTimeout(r, 10));
      first.kill('SIGKILL');
      expect((await exited(first)).signal).toBe('SIGKILL');
      expect(await countOf(log, 'RolloutPurged')).toBeGreaterThan(0);
      expect(await countOf(log, 'ThreadDeleted')).toBeLessThan(SIZE); // it really died half-way
      await log.close();

      // Second run: to the end.
      const second = startCli([...args, '--until-idle'], env);
      const { code } = await exited(second);
      expect(code, second.output()).toBe(0);

      f.reopen();
      const events = await readLog(f.ledger);
      const per = (type: string) =>
        countBy(
          events.filter((e) => e.event.type === type),
          (e) => e.streamId,
        );
      for (const type of ['ThreadDeleteRequested', 'ThreadContentShredded', 'ThreadDeleted']) {
        const m = per(type);
        expect(m.size, type).toBe(SIZE);
        expect(
          [...m.values()].every((n) => n === 1),
          type,
        ).toBe(true);
      }
      const purged = countBy(
        events.flatMap((e) => (e.event.type === 'RolloutPurged' ? [e.event.data.path] : [])),
        (p) => p,
      );
      expect(purged.size).toBe(SIZE * 2); // every rollout and its .zst sibling, once each
      expect([...purged.values()].every((n) => n === 1)).toBe(true);
      for (const id of all) expect(existsSync(f.rolloutOf(id as ThreadId))).toBe(false);
      const last = events.filter((e) => e.event.type === 'ThreadDeleted').at(-1)!;
      expect(last.streamId).toBe(`thread-${root}`);
    });
  },
);

describe('the key service killed mid-purge (EventStoreDB store)', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('loses no step and leaves no key: shreds fail and back off while it is down, and finish once it is back', async () => {
    const N = 120;
    f = await ledgerFixture({ backend: 'esdb', keyService: true });
    const keys = f.keyService!;
    const { root, all } = await f.tree(N, 3);
    // Every thread gets content, so every thread has a key to destroy.
    for (const id of all)
      unwrap(await f.ledger.lifecycle.rename(id as ThreadId, `secret ${id}`, ctx));
    const keyBytes = [...(await f.ledger.keys.getMany(all)).values()];
    expect(keyBytes).toHaveLength(N);
    unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
    await f.ledger.close();

    const log = new EsdbEventStore(f.connection!);
    const worker = startCli(
      [
        'worker',
        '--data',
        join(f.dir, 'worker'),
        '--rollout-root',
        f.rolloutRoot,
        '--batch-size',
        '4',
      ],
      {
        EVENTSTORE_CONNECTION_STRING: f.connection!,
        KEY_SERVICE_URL: keys.client.url,
        KEY_SERVICE_TOKEN: keys.client.token,
      },
    );
    try {
      while ((await countOf(log, 'ThreadContentShredded')) < 10 && worker.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      keys.kill();
      await keys.stop();
      await new Promise((r) => setTimeout(r, 1500)); // shreds fail meanwhile (past the client's own retries): recorded, backing off
      f.keyService = await startKeyServiceProcess(keys.dataDir, keys.port);
      for (let i = 0; i < 600 && (await countOf(log, 'ThreadDeleted')) < N; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
      await log.close();
    }

    f.reopen();
    const events = await readLog(f.ledger);
    for (const type of ['ThreadContentShredded', 'ThreadDeleted']) {
      const m = countBy(
        events.filter((e) => e.event.type === type),
        (e) => e.streamId,
      );
      expect(m.size, type).toBe(N);
      expect(
        [...m.values()].every((n) => n === 1),
        type,
      ).toBe(true);
    }
    // The outage was felt: some shred steps failed and were retried.
    expect(events.some((e) => e.event.type === 'DeletionStepFailed')).toBe(true);
    const outcomes = events.flatMap((e) =>
      e.event.type === 'ThreadContentShredded' ? [e.event.data.outcome] : [],
    );
    expect(outcomes.every((o) => o === 'destroyed')).toBe(true);
    // No key is left in the key service's files, its journal included.
    for (const file of readdirSync(keys.dataDir)) {
      const bytes = readFileSync(join(keys.dataDir, file));
      expect(
        keyBytes.some((k) => bytes.includes(k)),
        file,
      ).toBe(false);
    }
  });
});
