import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { SqliteKeyStore } from '../../src/io/keys/sqliteKeyStore.js';
import type { Projection } from '../../src/projections/projection.js';
import { ProjectionRunner } from '../../src/projections/projectionRunner.js';
import { allProjections, openReadModels } from '../../src/projections/readModels.js';
import { rebuildProjections } from '../../src/projections/rebuild.js';
import { listThreads } from '../../src/projections/threadListQuery.js';
import { EventCodec } from '../../src/store/eventCodec.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { rng } from '../support/jitteryStore.js';
import { ctx, type Fixture, useLedgerFixture } from '../support/ledgerFixture.js';
import { tempDir } from '../support/tempDir.js';
import { unwrap } from '../support/unwrap.js';

/** Every row of every projection table, in a stable order. */
const snapshot = (db: Database.Database): Record<string, unknown[]> =>
  Object.fromEntries(
    allProjections.flatMap((p) =>
      p.tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()] as const),
    ),
  );

/** A long random history: starts, spawns, renames, archives, deletes and purges, interleaved. */
const randomHistory = async (f: Fixture, steps: number, seed: number): Promise<void> => {
  const random = rng(seed);
  const live: ThreadId[] = [];
  const pick = () => live[Math.floor(random() * live.length)]!;
  for (let i = 0; i < steps; i++) {
    f.clock.now += 1 + Math.floor(random() * 1000);
    const x = random();
    if (live.length < 5 || x < 0.3) live.push(await f.root(random() < 0.5 ? `thread ${i}` : null));
    else if (x < 0.55) live.push(await f.child(pick()));
    else if (x < 0.7) await f.ledger.lifecycle.rename(pick(), `renamed ${i}`, ctx);
    else if (x < 0.8) await f.ledger.lifecycle.archive(pick(), ctx);
    else if (x < 0.88) await f.ledger.lifecycle.unarchive(pick(), ctx);
    else if (x < 0.96) {
      const r = await f.ledger.lifecycle.delete(pick(), 'random', ctx);
      if (E.isRight(r)) for (const id of r.right.threadIds) live.splice(live.indexOf(id), 1);
    } else await f.ledger.worker.runPass();
    if (live.length === 0) live.push(await f.root());
  }
  await f.ledger.worker.runPass(); // leave some deletions finished, some not: both must rebuild
};

describe('projections', () => {
  const f = useLedgerFixture();

  it('rebuild from position 0 gives the live read models, row for row', async () => {
    await randomHistory(f, 1500, 7);
    const r = await f.ledger.lifecycle.delete(await f.root(), null, ctx); // one deletion still pending
    expect(E.isRight(r)).toBe(true);
    await f.ledger.runner.catchUp();
    const live = snapshot(f.ledger.readDb);
    expect(live['threads']!.length).toBeGreaterThan(100);
    expect(live['deletion_steps']!.length).toBeGreaterThan(100);
    expect((live['deletions'] as { status: string }[]).some((d) => d.status !== 'deleted')).toBe(
      true,
    );

    const progress: number[] = [];
    const rebuilt = await rebuildProjections(
      f.ledger.readDb,
      f.ledger.store,
      f.ledger.codec,
      allProjections,
      (p) => progress.push(p.applied),
    );
    expect(rebuilt.position).toBe(await f.ledger.store.headPosition());
    expect(progress.length).toBeGreaterThan(0);
    expect(snapshot(f.ledger.readDb)).toEqual(live);
  });

  it('keeps answering queries during a rebuild, and the live runner carries on after the swap without double-applying', async () => {
    for (let i = 0; i < 50; i++) await f.root(`t${i}`);
    f.ledger.runner.start();
    await f.ledger.runner.waitFor((await f.ledger.store.headPosition())!);
    const before = unwrap(listThreads(f.ledger.readDb, { limit: 1000 })).rows.length;
    const rebuilding = rebuildProjections(
      f.ledger.readDb,
      f.ledger.store,
      f.ledger.codec,
      allProjections,
      () => {
        // mid-rebuild, the live tables still answer in full
        expect(
          unwrap(listThreads(f.ledger.readDb, { limit: 1000 })).rows.length,
        ).toBeGreaterThanOrEqual(before);
      },
    );
    const during = await Promise.all([rebuilding, f.root('during'), f.root('during 2')]);
    expect(during[0].applied).toBeGreaterThan(0);
    const after = await f.root('after');
    await f.ledger.runner.waitFor((await f.ledger.store.headPosition())!);
    const rows = unwrap(listThreads(f.ledger.readDb, { limit: 1000 })).rows;
    expect(rows).toHaveLength(53);
    expect(rows[0]!.thread_id).toBe(after);
    expect(new Set(rows.map((r) => r.thread_id)).size).toBe(53);
  });

  it('does not skip a batch that failed: the live runner takes the log again from its checkpoint', async () => {
    let failures = 1;
    const seen: string[] = [];
    const flaky: Projection = {
      name: 'flaky',
      tables: [],
      schema: () => '',
      indexes: () => '',
      handler: () => (e) => {
        if (e.event.type !== 'ThreadStarted') return;
        if (failures-- > 0) throw new Error('disk hiccup');
        seen.push(e.event.data.threadId);
      },
    };
    const runner = new ProjectionRunner(f.ledger.readDb, f.ledger.store, f.ledger.codec, [
      ...allProjections,
      flaky,
    ]);
    await runner.catchUp();
    const errors: unknown[] = [];
    runner.start((err) => errors.push(err));
    const id = await f.root();
    await runner.waitFor((await f.ledger.store.headPosition())!);
    expect(errors.map(String)).toEqual(['Error: disk hiccup']);
    expect(seen).toEqual([id]);
    expect(f.ledger.queries.thread(id)?.thread_id).toBe(id);
    await runner.stop();
  });

  it('commits each batch with its checkpoint: a new runner resumes where the last one stopped', async () => {
    for (let i = 0; i < 10; i++) await f.root();
    await f.ledger.runner.catchUp();
    const head = await f.ledger.store.headPosition();
    const again = new ProjectionRunner(
      f.ledger.readDb,
      f.ledger.store,
      f.ledger.codec,
      allProjections,
    );
    expect(again.position()).toBe(head);
    expect(await again.catchUp()).toBe(0);
    await f.root();
    expect(await again.catchUp()).toBe(1);
    expect(unwrap(listThreads(f.ledger.readDb, {})).rows).toHaveLength(11);
  });
});

describe('projections on the EventStoreDB store, across restarts', () => {
  const f = useLedgerFixture({ backend: 'esdb' });

  it('neither skips nor applies an event twice: restarted read models equal a rebuild, row for row', async () => {
    // Three lives of one instance, each following the log live while it writes, then closed.
    for (const [life, seed] of [1, 2, 3].entries()) {
      if (life > 0) f.reopen();
      f.ledger.runner.start();
      await randomHistory(f, 150, seed);
      await f.ledger.runner.waitFor((await f.ledger.store.headPosition())!);
      await f.ledger.close();
    }
    f.reopen();
    await f.ledger.runner.catchUp();
    const live = snapshot(f.ledger.readDb);
    expect(live['threads']!.length).toBeGreaterThan(50);
    expect(live['deletion_steps']!.length).toBeGreaterThan(10);
    await rebuildProjections(f.ledger.readDb, f.ledger.store, f.ledger.codec, allProjections);
    expect(snapshot(f.ledger.readDb)).toEqual(live);
  });
});

describe('the rebuild swap', () => {
  /** A projection whose live table the test fills with `marker` rows; its rebuilt copy is empty. */
  const holding = (name: string, holdsNoContent: boolean): Projection => ({
    name,
    holdsNoContent,
    tables: [name],
    schema: (sfx) => `CREATE TABLE IF NOT EXISTS ${name}${sfx} (v TEXT)`,
    indexes: () => '',
    handler: () => () => {},
  });

  it('zeroes the pages of a dropped table that may hold content, and only spares one that never does', async () => {
    const dir = await tempDir();
    const store = new SqliteEventStore(`${dir.path}/events.db`);
    const codec = new EventCodec(new SqliteKeyStore(`${dir.path}/keys.db`));
    const file = `${dir.path}/read.db`;
    const projections = [holding('content_rows', false), holding('hash_rows', true)];
    const db = openReadModels(file, projections);
    for (const p of projections) {
      const insert = db.prepare(`INSERT INTO ${p.name} (v) VALUES (?)`);
      for (let i = 0; i < 200; i++) insert.run(`marker-of-${p.name}-${i}`);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');

    await rebuildProjections(db, store, codec, projections);
    db.pragma('wal_checkpoint(TRUNCATE)');

    const bytes = readFileSync(file).toString('latin1');
    expect(bytes).not.toContain('marker-of-content_rows');
    expect(bytes).toContain('marker-of-hash_rows'); // left in free pages: the rows held no content
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    db.close();
    await store.close();
    await dir.remove();
  });
});
