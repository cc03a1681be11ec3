import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/io/evidence/checkpointStore.js';
import { exited, startCli } from '../support/cli.js';
import { type EvidenceFolder, evidenceFolder } from '../support/evidenceFolder.js';
import { tempDir } from '../support/tempDir.js';

const run = async (args: string[]) => {
  const child = startCli(args, { EVENTSTORE_CONNECTION_STRING: '', LEDGER_SIGNING_KEY_FILE: '' });
  const { code } = await exited(child);
  return { code, stdout: child.stdoutText(), stderr: child.stderrText() };
};

type Row = {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
};

let folder: EvidenceFolder;
let scratch: Awaited<ReturnType<typeof tempDir>>;
/** How many events the log holds, and the size of the last checkpoint kept. */
let events: number;
let lastSigned: number;
let copies = 0;

beforeAll(async () => {
  folder = await evidenceFolder();
  scratch = await tempDir();
  const db = new Database(join(folder.data, 'events.db'), { readonly: true });
  events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  db.close();
  const kept = new CheckpointStore(join(folder.data, 'evidence.db'));
  lastSigned = kept.latest()!.size;
  kept.close();
}, 60_000);

afterAll(async () => {
  await folder?.remove();
  await scratch?.remove();
});

/** A copy of the data folder (cp -r), its events.db altered by `tamper`; its path. */
const tampered = (tamper: (db: Database.Database) => void): string => {
  const copy = join(scratch.path, `copy-${++copies}`);
  cpSync(folder.data, copy, { recursive: true });
  const db = new Database(join(copy, 'events.db'));
  db.transaction(() => tamper(db))();
  db.close();
  return copy;
};

/** The last verification recorded in a folder's evidence.db. */
const lastVerification = (data: string) => {
  const kept = new CheckpointStore(join(data, 'evidence.db'));
  try {
    return kept.verifications.latest();
  } finally {
    kept.close();
  }
};

const rowAt = (db: Database.Database, position: number): Row =>
  db.prepare('SELECT * FROM events WHERE position = ?').get(position) as Row;

const insertRow = (db: Database.Database, r: Row): void => {
  db.prepare(
    'INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata) VALUES (@position, @stream_id, @revision, @event_id, @type, @data, @metadata)',
  ).run(r);
};

const changed = (r: Database.RunResult): void => {
  expect(r.changes).toBeGreaterThan(0);
};

describe('thread-ledger verify: the log held to every signed checkpoint, any edit named by position', () => {
  it('the intact folder: exit 0 with the counts, every event covered', async () => {
    expect(lastSigned).toBe(events);
    const r = await run(['verify', '--data', folder.data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^verified ${events} events against \\d+ signed checkpoints \\(the last at size ${events}\\); every event is covered\n$`,
      ),
    );
    expect(Number(/against (\d+)/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(2);
    // The run is recorded in the folder's evidence.db (GET /v1/evidence/verification answers it).
    expect(lastVerification(folder.data)).toMatchObject({
      ok: true,
      by: 'cli',
      events,
      coveredSize: events,
      reason: null,
    });
  });

  // Position 10 lies under the first checkpoint (signed after 20 threads); 30 under a later one.
  const p = 10;
  const cases: [string, (db: Database.Database) => void, () => RegExp][] = [
    [
      "an event's data rewritten",
      (db) => changed(db.prepare(`UPDATE events SET data = data || ' ' WHERE position = ?`).run(p)),
      () =>
        new RegExp(
          `the event at position ${p} \\(leaf ${p - 1}\\) is not the one signed: it was rewritten`,
        ),
    ],
    [
      "an event's metadata (its actor) rewritten",
      (db) => {
        const was = rowAt(db, 30).metadata;
        db.prepare(
          `UPDATE events SET metadata = json_set(metadata, '$.actor', 'mallory') WHERE position = 30`,
        ).run();
        expect(rowAt(db, 30).metadata).not.toBe(was);
      },
      () => /the event at position 30 \(leaf 29\) is not the one signed: it was rewritten/,
    ],
    [
      'an event removed',
      (db) => changed(db.prepare('DELETE FROM events WHERE position = ?').run(p)),
      () =>
        new RegExp(
          `the event signed at position ${p} \\(leaf ${p - 1}\\) was removed from the log`,
        ),
    ],
    [
      'an event inserted in the middle (the positions after it renumbered)',
      (db) => {
        const copy = { ...rowAt(db, 3), event_id: 'inserted-event', revision: 99 };
        const above = db
          .prepare('SELECT position FROM events WHERE position >= ? ORDER BY position DESC')
          .pluck()
          .all(p) as number[];
        const move = db.prepare('UPDATE events SET position = position + 1 WHERE position = ?');
        for (const at of above) move.run(at);
        insertRow(db, { ...copy, position: p });
      },
      () =>
        new RegExp(
          `every event from position ${p} \\(leaf ${p - 1}\\) on is not the one signed: an event was inserted or removed there, and the positions after it renumbered`,
        ),
    ],
    [
      'two events swapped',
      (db) => {
        const a = rowAt(db, p);
        const b = rowAt(db, p + 1);
        db.prepare('DELETE FROM events WHERE position IN (?, ?)').run(p, p + 1);
        insertRow(db, { ...b, position: p });
        insertRow(db, { ...a, position: p + 1 });
      },
      () =>
        new RegExp(
          `the events at positions ${p} to ${p + 1} \\(leaves ${p - 1} to ${p}\\) are not the ones signed: rewritten or swapped`,
        ),
    ],
    [
      'the log truncated',
      (db) => changed(db.prepare('DELETE FROM events WHERE position > ?').run(events - 5)),
      () =>
        new RegExp(
          `the log ends after ${events - 5} events: the last 5 that the checkpoint signed at size ${events} covers are gone \\(truncated\\), from position ${events - 4} on`,
        ),
    ],
  ];
  it.each(cases)('%s: exit 1 naming the position', async (_what, tamper, reason) => {
    const copy = tampered(tamper);
    const r = await run(['verify', '--data', copy]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^thread-ledger verify: /);
    expect(r.stderr).toMatch(reason());
    const recorded = lastVerification(copy);
    expect(recorded).toMatchObject({ ok: false, by: 'cli' });
    expect(recorded?.reason).toMatch(reason());
  });

  it("--checkpoint: an auditor's checkpoint catches a log truncated below it, with the later checkpoints removed too", async () => {
    const kept = new CheckpointStore(join(folder.data, 'evidence.db'));
    const audited = join(scratch.path, 'audited.checkpoint');
    writeFileSync(audited, kept.latest()!.note);
    kept.close();
    const cut = events - 3;
    const copy = tampered((db) => {
      changed(db.prepare('DELETE FROM events WHERE position > ?').run(cut));
    });
    const evidence = new Database(join(copy, 'evidence.db'));
    changed(evidence.prepare('DELETE FROM checkpoints WHERE size > ?').run(cut));
    evidence.close();
    // What the folder keeps agrees with itself: only the auditor's checkpoint shows the cut.
    const alone = await run(['verify', '--data', copy]);
    expect(alone.code, alone.stderr).toBe(0);
    const r = await run(['verify', '--data', copy, '--checkpoint', audited]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `the log ends after ${cut} events: the last ${events - cut} that the checkpoint in ${audited} covers are gone (truncated), from position ${cut + 1} on`,
    );
  });

  it('events after the last checkpoint are reported as not yet covered', async () => {
    const copy = tampered((db) => {
      for (let i = 1; i <= 3; i++)
        insertRow(db, {
          ...rowAt(db, 1),
          position: events + i,
          stream_id: 'thread-appended-unsigned',
          revision: i - 1,
          event_id: `appended-${i}`,
        });
    });
    const r = await run(['verify', '--data', copy]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^verified ${events + 3} events against \\d+ signed checkpoints \\(the last at size ${events}\\); 3 events after it are not yet covered \\(from position ${events + 1} on\\)\n$`,
      ),
    );
  });

  it('--key: held to a pinned verifier key; another key refuses every checkpoint', async () => {
    const pinned = join(scratch.path, 'pinned.vkey');
    writeFileSync(pinned, `${folder.verifierText}\n`);
    const ok = await run(['verify', '--data', folder.data, '--key', pinned]);
    expect(ok.code, ok.stderr).toBe(0);
    const other = join(scratch.path, 'other.vkey');
    const [name, , material] = folder.verifierText.split('+');
    // Another key of the same name: its id differs, so it must be computed; use a real one.
    const { formatSigningKey, parseSigningKey } = await import(
      '../../src/io/evidence/signingKey.js'
    );
    const { randomBytes } = await import('node:crypto');
    const key = parseSigningKey(formatSigningKey(name!, randomBytes(32)));
    if (typeof key === 'string') throw new Error(key);
    expect(key.verifierText).not.toContain(material!);
    writeFileSync(other, key.verifierText);
    const refused = await run(['verify', '--data', folder.data, '--key', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^thread-ledger verify: the checkpoint signed at size \d+: /);
  });
});
