import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LogVerification, verifyLog } from '../../src/app/evidence/logVerifier.js';
import type { VerifierKey } from '../../src/evidence/signedNote.js';
import { CheckpointStore } from '../../src/io/evidence/checkpointStore.js';
import { openLedger } from '../../src/main/openLedger.js';
import { EvidenceTreeReader } from '../../src/projections/evidenceTreeReader.js';
import { readLeafPages } from '../../src/store/sqlite/leafPages.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { ctx } from '../support/ledgerFixture.js';
import { startedData } from '../support/threads.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

/** A log past two blocks of 8,192 leaves (the workers' unit), checkpoints inside every block. */
const EVENTS = 20_000;

describe('verify over whole blocks hashed by worker threads, and on one thread: the same verdicts', () => {
  let dir: string;
  let key: VerifierKey;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-blocks-'));
    const ledger = openLedger({ dataDir: join(dir, 'data'), rolloutRoots: [join(dir, 'r')] });
    for (let done = 0; done < EVENTS; done += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () =>
          ledger.lifecycle.start(startedData({ rolloutPath: null }), ctx),
        ),
      );
      if ((done + 500) % 3000 === 0) {
        await ledger.runner.catchUp();
        ledger.evidence.signer.signNow();
      }
    }
    await ledger.runner.catchUp();
    key = ledger.evidence.key.verifier;
    await ledger.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const both = async (tamper: (db: Database.Database) => void): Promise<LogVerification[]> => {
    const copy = mkdtempSync(join(tmpdir(), 'verify-copy-'));
    cpSync(join(dir, 'data'), copy, { recursive: true });
    const db = new Database(join(copy, 'events.db'));
    tamper(db);
    db.close();
    const store = new SqliteEventStore(join(copy, 'events.db'));
    const readDb = new Database(join(copy, 'read.db'), { readonly: true });
    const kept = new CheckpointStore(join(copy, 'evidence.db'));
    try {
      const checkpoints = [...kept.all()].map((c) => ({
        label: `checkpoint ${c.size}`,
        note: c.note,
      }));
      const tree = new EvidenceTreeReader(readDb);
      const file = join(copy, 'events.db');
      return [
        await verifyLog({ store, key, checkpoints, tree }),
        await verifyLog({
          store,
          key,
          checkpoints,
          tree,
          leafPages: (a) => readLeafPages(file, a, 2),
        }),
      ];
    } finally {
      await store.close();
      readDb.close();
      kept.close();
      rmSync(copy, { recursive: true, force: true });
    }
  };

  it('an intact log: both pass, against every checkpoint (every 3,000 events and at close)', async () => {
    const [one, blocks] = await both(() => {});
    expect(one).toMatchObject({ ok: true, events: EVENTS, coveredSize: EVENTS, uncovered: 0 });
    expect(one.ok && one.checkpoints).toBeGreaterThanOrEqual(6);
    expect(blocks).toEqual(one);
  });

  it.each([
    [
      'rewritten in the third block',
      17_001,
      (db: Database.Database) =>
        db.prepare(`UPDATE events SET data = data || ' ' WHERE position = 17001`).run(),
    ],
    [
      'removed in the second block',
      9_000,
      (db: Database.Database) => db.prepare('DELETE FROM events WHERE position = 9000').run(),
    ],
    [
      'rewritten on a block boundary',
      8_193,
      (db: Database.Database) =>
        db.prepare(`UPDATE events SET metadata = metadata || ' ' WHERE position = 8193`).run(),
    ],
  ])('an event %s: both name position %i, in the same words', async (_what, position, tamper) => {
    const [one, blocks] = await both(tamper);
    expect(one).toMatchObject({ ok: false, position: BigInt(position) });
    expect(blocks).toEqual(one);
  });
});
