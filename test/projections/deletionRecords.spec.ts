import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { allProjections } from '../../src/projections/readModels.js';
import { rebuildProjections } from '../../src/projections/rebuild.js';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { unwrap } from '../support/unwrap.js';

describe('the deletion records, by request', () => {
  const f = useLedgerFixture();

  it('gives each descendant the root request, reason and requester, even when a worker finishes the cascade', async () => {
    const { root, all } = await f.tree(7, 2);
    // The root's tombstone alone, as a crash right after it leaves it: the worker tombstones the rest.
    const dpo = { ...ctx, actor: 'dpo', requestId: 'req-dpo' };
    unwrap(
      await f.ledger.commands.handle(
        { type: 'DeleteThread', threadId: root, reason: 'erasure' },
        dpo,
      ),
    );
    await f.ledger.worker.runPass();
    await f.ledger.runner.catchUp();
    const tombstones = (await f.ledger.store.readAll({ after: null, maxCount: 10_000 })).filter(
      (e) => e.type === 'ThreadDeleteRequested',
    );
    expect(tombstones.map((e) => (e.metadata as { actor: string }).actor)).toEqual([
      'dpo',
      ...all.slice(1).map(() => 'deletion-worker'),
    ]);
    const record = f.ledger.queries.deletionRequests.record(all[6]!)!;
    expect(record.request).toMatchObject({
      root_thread_id: root,
      reason: 'erasure',
      requested_by: 'dpo',
      request_id: 'req-dpo',
      status: 'deleted',
      deleted_count: 7,
      pending_count: 0,
      failing_count: 0,
      completed_at: f.clock.now,
    });
    expect(record.threads.map((t) => [t.reason, t.requested_by, t.request_id])).toEqual(
      all.map(() => ['erasure', 'dpo', 'req-dpo']),
    );
  });

  it('refolds the records of a read.db written by an earlier version when it is opened, and a rebuild gives the same rows', async () => {
    const { root, all } = await f.tree(4, 2);
    unwrap(await f.ledger.lifecycle.delete(root, 'erasure', { ...ctx, actor: 'dpo' }));
    await f.ledger.runner.catchUp();
    const rows = (db: Database.Database) =>
      ['deletion_requests', 'deletions', 'deletion_steps'].map((t) =>
        db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all(),
      );
    const before = rows(f.ledger.readDb);
    await f.ledger.close();

    // As version 1 left it: no deletion_requests, no version recorded, descendants without reason.
    const file = join(f.dir, 'data', 'read.db');
    const old = new Database(file);
    old.exec(`DROP TABLE deletion_requests; DROP TABLE projection_versions;
      UPDATE deletions SET reason = NULL, requested_by = 'worker' WHERE thread_id != root_thread_id`);
    old.close();

    f.reopen();
    await f.ledger.runner.catchUp();
    expect(rows(f.ledger.readDb)).toEqual(before);
    expect(f.ledger.queries.deletionRequests.record(all[3]!)!.request.reason).toBe('erasure');
    // Other projections were left as they were: their checkpoints did not move back.
    const version = f.ledger.readDb
      .prepare(`SELECT version FROM projection_versions WHERE name = 'deletion_records'`)
      .get();
    expect(version).toEqual({ version: 2 });

    await rebuildProjections(f.ledger.readDb, f.ledger.store, f.ledger.codec, allProjections);
    expect(rows(f.ledger.readDb)).toEqual(before);
  });
});
