import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { RolloutPurger } from '../../src/io/rolloutFiles.js';
import { listThreads } from '../../src/projections/threadListQuery.js';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { countBy, readLog } from '../support/log.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

const everyKind = { sourceKinds: ['cli', 'subAgentThreadSpawn'] as const };
/** A thread a writer spawns: a subagent (a spawn of any other kind is refused). */
const spawned = (over: Parameters<typeof startedData>[0]) =>
  startedData({ sourceKind: 'subAgentThreadSpawn', ...over });

describe.each(['sqlite', 'esdb'] as const)(
  'deleting a thread and its subtree (%s store)',
  (backend) => {
    const f = useLedgerFixture({ backend });
    /**
     * A start whose rollout path the lifecycle now refuses (outside the roots, through a symlink, not
     * the thread's file), appended as a log written before that check holds it: the purge must still
     * refuse to follow it.
     */
    const recordedBeforeTheCheck = (thread: ReturnType<typeof startedData>) =>
      f.ledger.commands.handle({ type: 'StartThread', thread }, ctx);

    const listed = () =>
      unwrap(listThreads(f.ledger.readDb, { ...everyKind, limit: 1000 })).rows.map(
        (r) => r.thread_id,
      );

    it('tombstones every descendant, and hides them all at once, before any purge', async () => {
      const { root, all } = await f.tree(15, 2);
      const deleted = unwrap(await f.ledger.lifecycle.delete(root, 'user asked', ctx));
      expect(new Set(deleted.threadIds)).toEqual(new Set(all));
      expect(deleted.threadIds[0]).toBe(root);
      await f.ledger.runner.catchUp();
      expect(listed()).toEqual([]);
      for (const id of all) {
        expect((await f.ledger.repo.load(id)).state.status).toBe('deleting');
        expect(existsSync(f.rolloutOf(id))).toBe(true); // not purged yet: the tombstone alone hides it
      }
    });

    it('purges every artifact, records each step once, and closes children before parents', async () => {
      const { root, all } = await f.tree(31, 3);
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      const pass = await f.ledger.worker.runPass();
      expect(pass.completed).toHaveLength(31);
      for (const id of all) expect(existsSync(f.rolloutOf(id))).toBe(false);

      const log = await readLog(f.ledger);
      const purged = log.filter((e) => e.event.type === 'RolloutPurged');
      expect(purged).toHaveLength(62); // each rollout and its (absent) .zst sibling
      expect(
        [...countBy(purged, (e) => JSON.stringify(e.event.data)).values()].every((n) => n === 1),
      ).toBe(true);
      expect(
        purged.filter(
          (e) => e.event.type === 'RolloutPurged' && e.event.data.outcome === 'removed',
        ),
      ).toHaveLength(31);
      const shredded = countBy(
        log.filter((e) => e.event.type === 'ThreadContentShredded'),
        (e) => e.streamId,
      );
      expect([...shredded.values()]).toEqual(Array(31).fill(1));

      const deletedAt = new Map(
        log
          .filter((e) => e.event.type === 'ThreadDeleted')
          .map((e) => [e.streamId.slice(7), e.position]),
      );
      expect(deletedAt.size).toBe(31);
      expect([...deletedAt.values()].every((p) => p <= deletedAt.get(root)!)).toBe(true);
      for (const id of all) {
        const { state } = await f.ledger.repo.load(id as ThreadId);
        expect(state.status).toBe('deleted');
        for (const child of state.children)
          expect(deletedAt.get(child)! < deletedAt.get(id)!).toBe(true);
      }
      await f.ledger.runner.catchUp();
      const record = f.ledger.queries.deletion(root)!;
      expect(record.record).toMatchObject({
        status: 'deleted',
        root_thread_id: root,
        requested_by: 'test',
        failures: 0,
      });
      expect(record.steps.map((s) => s.step)).toEqual([
        `rollout:${f.rolloutOf(root)}`,
        `rollout:${f.rolloutOf(root)}.zst`,
        'content',
        'complete',
      ]);
    });

    it('deletes a subagent with its own subtree and leaves its parent', async () => {
      const root = await f.root();
      const a = await f.child(root);
      const b = await f.child(a);
      const sibling = await f.child(root);
      unwrap(await f.ledger.lifecycle.delete(a, null, ctx));
      await f.ledger.worker.runPass();
      await f.ledger.runner.catchUp();
      expect(new Set(listed())).toEqual(new Set([root, sibling]));
      expect((await f.ledger.repo.load(b)).state.status).toBe('deleted');
      expect(existsSync(f.rolloutOf(root))).toBe(true);
    });

    it('changes nothing on a second delete, and says so', async () => {
      const root = await f.root();
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      const before = (await readLog(f.ledger)).length;
      expect(await f.ledger.lifecycle.delete(root, null, ctx)).toEqual(
        E.left({ kind: 'AlreadyDeleted', threadId: root, status: 'deleting' }),
      );
      await f.ledger.worker.runPass();
      const after = (await readLog(f.ledger)).length;
      expect(await f.ledger.lifecycle.delete(root, null, ctx)).toEqual(
        E.left({ kind: 'AlreadyDeleted', threadId: root, status: 'deleted' }),
      );
      expect((await readLog(f.ledger)).length).toBe(after);
      expect(after).toBeGreaterThan(before);
    });

    it('never adopts an existing thread: a spawn of it is refused and writes no edge, a self-spawn too', async () => {
      const p1 = await f.root();
      const p2 = await f.root();
      const x = await f.child(p1);
      expect(await f.ledger.lifecycle.spawn(p2, spawned({ threadId: x }), ctx)).toEqual(
        E.left({ kind: 'ThreadAlreadyExists', threadId: x }),
      );
      expect((await f.ledger.repo.load(p2)).state.children).toEqual([]);
      expect(await f.ledger.lifecycle.spawn(p2, spawned({ threadId: p2 }), ctx)).toEqual(
        E.left({ kind: 'SelfSpawn', threadId: p2 }),
      );
      unwrap(await f.ledger.lifecycle.delete(p2, null, ctx));
      expect((await f.ledger.repo.load(x)).state.status).toBe('live');
    });

    it('refuses to spawn under a tombstoned parent', async () => {
      const root = await f.root();
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      const id = newId();
      expect(await f.ledger.lifecycle.spawn(root, spawned({ threadId: id }), ctx)).toEqual(
        E.left({ kind: 'ParentTombstoned', parentThreadId: root }),
      );
      expect((await f.ledger.repo.load(id)).state.status).toBe('absent');
    });

    it('refuses a rollout outside the roots, records the failure, retries with backoff, and never touches the file', async () => {
      const outside = join(f.dir, 'outside.jsonl');
      writeFileSync(outside, 'precious');
      const id = newId();
      unwrap(await recordedBeforeTheCheck(startedData({ threadId: id, rolloutPath: outside })));
      unwrap(await f.ledger.lifecycle.delete(id, null, ctx));

      const first = await f.ledger.worker.runPass();
      expect(first.completed).toEqual([]);
      expect(first.retryAtMs).toBe(f.clock.now + 100);
      await f.ledger.runner.catchUp();
      const rec = f.ledger.queries.deletion(id)!.record;
      expect(rec.status).toBe('failing');
      expect(rec.last_error).toMatch(/outside the rollout roots/);
      expect(readFileSync(outside, 'utf8')).toBe('precious');

      expect((await f.ledger.worker.runPass()).recorded).toBe(0); // not due yet
      f.clock.now += 100;
      await f.ledger.worker.runPass();
      f.clock.now += 200;
      await f.ledger.worker.runPass();
      const failures = (await readLog(f.ledger)).flatMap((e) =>
        e.event.type === 'DeletionStepFailed' && e.event.data.step === `rollout:${outside}`
          ? [e.event.data]
          : [],
      );
      expect(failures.map((x) => [x.attempt, x.nextRetryAtMs - f.clock.now])).toEqual([
        [1, -200],
        [2, 0],
        [3, 400],
      ]);
      expect(readFileSync(outside, 'utf8')).toBe('precious');
    });

    it('refuses a symlink inside the roots that leads outside, and a path that climbs out', async () => {
      const target = join(f.dir, 'target.jsonl');
      writeFileSync(target, 'keep me');
      const link = join(f.rolloutRoot, 'link.jsonl');
      symlinkSync(target, link);
      for (const path of [link, join(f.rolloutRoot, '..', 'target.jsonl')]) {
        const id = newId();
        unwrap(await recordedBeforeTheCheck(startedData({ threadId: id, rolloutPath: path })));
        unwrap(await f.ledger.lifecycle.delete(id, null, ctx));
      }
      await f.ledger.worker.runPass();
      await f.ledger.runner.catchUp();
      const errors = (await readLog(f.ledger)).flatMap((e) =>
        e.event.type === 'DeletionStepFailed' ? [e.event.data.error] : [],
      );
      expect(errors.some((e) => /symlink/.test(e))).toBe(true);
      expect(errors.some((e) => /outside the rollout roots/.test(e))).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('keep me');
      expect(existsSync(link)).toBe(true);
    });

    it('records a rollout whose folder is gone as absent, through a symlinked root', async () => {
      const realRoot = join(f.dir, 'real-sessions');
      mkdirSync(realRoot);
      const linkedRoot = join(f.dir, 'linked-sessions');
      symlinkSync(realRoot, linkedRoot);
      const purger = new RolloutPurger([linkedRoot]);
      expect(await purger.purge(join(linkedRoot, '2026', '11', '20', 'gone.jsonl'))).toEqual({
        outcome: 'absent',
        sizeBytes: null,
        sha256: null,
      });
      await expect(purger.purge(join(f.dir, 'elsewhere', 'gone.jsonl'))).rejects.toThrow(
        /outside the rollout roots/,
      );
    });

    it('refuses a rollout under a symlinked folder that leads outside the roots', async () => {
      const elsewhere = join(f.dir, 'elsewhere');
      mkdirSync(elsewhere);
      writeFileSync(join(elsewhere, 'r.jsonl'), 'keep me');
      symlinkSync(elsewhere, join(f.rolloutRoot, 'linked-dir'));
      const id = newId();
      unwrap(
        await recordedBeforeTheCheck(
          startedData({ threadId: id, rolloutPath: join(f.rolloutRoot, 'linked-dir', 'r.jsonl') }),
        ),
      );
      unwrap(await f.ledger.lifecycle.delete(id, null, ctx));
      await f.ledger.worker.runPass();
      await f.ledger.runner.catchUp();
      expect(f.ledger.queries.deletion(id)!.record.last_error).toMatch(/outside the rollout roots/);
      expect(readFileSync(join(elsewhere, 'r.jsonl'), 'utf8')).toBe('keep me');
    });

    it('completes in the background when the worker loop runs, woken by a new tombstone', async () => {
      const { root, all } = await f.tree(20, 3);
      await f.ledger.runner.catchUp();
      f.ledger.runner.start();
      f.ledger.workerLoop.start();
      await new Promise((r) => setTimeout(r, 20)); // the loop has found nothing to do and sleeps
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      for (let i = 0; i < 50 && (await f.ledger.repo.load(root)).state.status !== 'deleted'; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect((await f.ledger.repo.load(root)).state.status).toBe('deleted');
      for (const id of all) expect(existsSync(f.rolloutOf(id))).toBe(false);
    });

    it('leaves nothing readable of the content: not in the log, the read models or the key store', async () => {
      const secret = `Secret plan ${newId()}`;
      const root = await f.root(secret);
      unwrap(await f.ledger.lifecycle.rename(root, `${secret} v2`, ctx));
      await f.ledger.runner.catchUp();
      expect(f.ledger.queries.sessionName(root)).toBe(`${secret} v2`);
      const key = (await f.ledger.keys.getMany([root])).get(root)!;
      const dataDir = join(f.dir, 'data');
      const holding = (needle: Buffer) =>
        readdirSync(dataDir).filter((file) => readFileSync(join(dataDir, file)).includes(needle));
      // Before: the read models hold the name in clear, the key store holds the key. The scan can see them.
      expect(holding(Buffer.from('Secret plan')).length).toBeGreaterThan(0);
      expect(holding(key).length).toBeGreaterThan(0);
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      await f.ledger.runner.catchUp();
      expect(f.ledger.queries.sessionName(root)).toBeNull(); // gone at the tombstone
      await f.ledger.worker.runPass();
      await f.ledger.runner.catchUp(); // applying ThreadDeleted empties the read models' WAL

      const scan = () => {
        expect(holding(Buffer.from('Secret plan'))).toEqual([]);
        expect(holding(key)).toEqual([]);
      };
      scan(); // while running, WAL files included
      await f.ledger.close();
      scan();
      f.reopen();
      const renamed = (await readLog(f.ledger)).find((e) => e.event.type === 'ThreadRenamed')!;
      expect(renamed.event.data).toEqual({ threadId: root, name: null, indexedIn: null });
    });
  },
);

describe("the read models' WAL after a deletion", () => {
  const f = useLedgerFixture();

  it('is emptied once a reader in another connection lets go, retried meanwhile, never waited on', async () => {
    const secret = `Held name ${newId()}`;
    const root = await f.root(secret);
    await f.ledger.runner.catchUp();
    const dataDir = join(f.dir, 'data');
    const holding = () =>
      readdirSync(dataDir).filter((file) =>
        readFileSync(join(dataDir, file)).includes(Buffer.from(secret)),
      );
    // Another process's connection, mid-read: its snapshot still has the name.
    const reader = new Database(join(dataDir, 'read.db'), { readonly: true });
    reader.prepare('BEGIN').run();
    expect(reader.prepare('SELECT count(*) AS n FROM threads').get()).toBeDefined();
    unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
    await f.ledger.worker.runPass();
    const t0 = Date.now();
    await f.ledger.runner.catchUp();
    expect(Date.now() - t0).toBeLessThan(1000); // the busy timeout is not waited out on the event loop
    expect((await f.ledger.repo.load(root)).state.status).toBe('deleted');
    expect(f.ledger.scrubber.pending).toBe(true);
    expect(holding()).not.toEqual([]); // the reader keeps the old pages in the WAL
    reader.prepare('COMMIT').run();
    reader.close();
    for (let i = 0; i < 200 && f.ledger.scrubber.pending; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(f.ledger.scrubber.pending).toBe(false);
    expect(holding()).toEqual([]);
  });
});

describe('archiving', () => {
  const f = useLedgerFixture();

  it('cascades archive and unarchive to spawned descendants; an archived thread cannot be renamed', async () => {
    const { root, all } = await f.tree(7, 2);
    expect(new Set(unwrap(await f.ledger.lifecycle.archive(root, ctx)).threadIds)).toEqual(
      new Set(all),
    );
    await f.ledger.runner.catchUp();
    const archived = unwrap(
      listThreads(f.ledger.readDb, { ...everyKind, archived: true }),
    ).rows.map((r) => r.thread_id);
    expect(new Set(archived)).toEqual(new Set(all));
    expect(await f.ledger.lifecycle.rename(root, 'x', ctx)).toEqual(
      E.left({ kind: 'ThreadArchived', threadId: root }),
    );
    expect(new Set(unwrap(await f.ledger.lifecycle.unarchive(root, ctx)).threadIds)).toEqual(
      new Set(all),
    );
    unwrap(await f.ledger.lifecycle.rename(root, 'x', ctx));
  });
});

describe('a key store that lost its keys (restored from nothing, or the wrong one)', () => {
  const f = useLedgerFixture();

  it('reads content sealed under a lost key as unreadable, counts it, and never stops the read models', async () => {
    const id = await f.root('Named before the loss');
    await f.ledger.runner.catchUp();
    await f.ledger.close();
    for (const db of ['keys.db', 'read.db'])
      for (const x of ['', '-wal', '-shm']) rmSync(join(f.dir, 'data', db + x), { force: true });
    f.reopen();
    // A new key is made for the next content: the old content is sealed under a key that is gone.
    unwrap(await f.ledger.lifecycle.rename(id, 'Named after the loss', ctx));
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.sessionName(id)).toBe('Named after the loss');
    expect(f.ledger.codec.unreadable).toBeGreaterThan(0);
    const started = (await readLog(f.ledger)).find((e) => e.event.type === 'ThreadStarted')!;
    expect(started.event.data).toMatchObject({ threadId: id, name: null });
  });
});

describe('a command decided just before its thread was deleted and shredded', () => {
  const f = useLedgerFixture();

  it('is decided again on the stream and refused as tombstoned, not failed', async () => {
    const id = await f.root('About to go');
    const stale = await f.ledger.repo.load(id); // what a request saw before the deletion won
    unwrap(await f.ledger.lifecycle.delete(id, null, ctx));
    await f.ledger.worker.runPass(); // the key is destroyed
    const r = await f.ledger.commands.handle(
      { type: 'RenameThread', threadId: id, name: 'too late', indexedIn: null },
      ctx,
      { known: stale },
    );
    expect(r).toEqual(E.left({ kind: 'ThreadTombstoned', threadId: id, status: 'deleted' }));
  });
});
