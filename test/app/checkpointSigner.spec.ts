import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/evidence/checkpoint.js';
import { parseNote } from '../../src/evidence/signedNote.js';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { until } from '../support/until.js';
import { unwrap } from '../support/unwrap.js';

const sizes = (f: ReturnType<typeof useLedgerFixture>) =>
  [...f.ledger.evidence.signer.kept.all()].map((c) => c.size);

describe('signing checkpoints of the evidence tree', () => {
  describe('by policy, while the log is followed', () => {
    const f = useLedgerFixture({ signing: { everyEvents: 10, everyMs: 60_000 } });

    it('signs once the events not covered reach the policy’s count', async () => {
      f.ledger.runner.start();
      for (let i = 0; i < 25; i++) await f.root();
      await until(() => f.ledger.evidence.tree.size() === 25);
      await until(() => sizes(f).length >= 2);
      const kept = sizes(f);
      for (let i = 1; i < kept.length; i++)
        expect(kept[i]! - kept[i - 1]!).toBeGreaterThanOrEqual(10);
      expect(kept[kept.length - 1]).toBeGreaterThanOrEqual(20);
    });

    it('signs at once when a deletion completes, covering its ThreadDeleted', async () => {
      f.ledger.runner.start();
      const root = await f.root();
      unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
      await f.ledger.worker.runPass();
      const head = Number(await f.ledger.store.headPosition());
      await until(() => sizes(f).includes(head));
    });

    it('signs what is left at a clean shutdown, and every checkpoint stays kept', async () => {
      f.ledger.runner.start();
      for (let i = 0; i < 3; i++) await f.root();
      await until(() => f.ledger.evidence.tree.size() === 3);
      expect(sizes(f)).toEqual([]);
      await f.ledger.close();
      f.reopen();
      expect(sizes(f)).toEqual([3]);
    });
  });

  describe('by time', () => {
    const f = useLedgerFixture({ signing: { everyEvents: 1000, everyMs: 50 } });

    it('signs within the policy’s delay after an append', async () => {
      f.ledger.runner.start();
      await f.root();
      await until(() => sizes(f).includes(1), 2000);
    });
  });

  describe('never against itself', () => {
    const f = useLedgerFixture();

    it('refuses to sign a tree that contradicts the last checkpoint, and keeps nothing', async () => {
      await f.root();
      await f.ledger.runner.catchUp();
      const first = f.ledger.evidence.signer.signNow()!;
      // The tree as read.db holds it is altered (as a rebuild over an altered log would leave it).
      const db = new Database(join(f.dir, 'data', 'read.db'));
      db.prepare('UPDATE evidence_hashes SET hash = zeroblob(32) WHERE idx = 0').run();
      db.close();
      await f.root();
      await f.ledger.runner.catchUp();
      expect(() => f.ledger.evidence.signer.signNow()).toThrow(
        /the log contradicts the checkpoint signed at size 1/,
      );
      expect(sizes(f)).toEqual([first.size]);
      const note = parseNote(first.note);
      if (typeof note === 'string') throw new Error(note);
      expect(parseCheckpoint(note.text)).toMatchObject({ size: 1 });
    });
  });
});
