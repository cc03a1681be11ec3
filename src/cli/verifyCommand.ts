import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type LogVerification, verifyLog } from '../app/evidence/logVerifier.js';
import { keptToVerify, verificationRecord } from '../app/evidence/verificationRecord.js';
import { CheckpointStore } from '../io/evidence/checkpointStore.js';
import { readSigningKey } from '../io/evidence/signingKey.js';
import { EvidenceTreeReader } from '../projections/evidenceTreeReader.js';
import { EsdbEventStore } from '../store/esdb/esdbEventStore.js';
import type { EventStore } from '../store/eventStore.js';
import { SqliteEventStore } from '../store/sqlite/sqliteEventStore.js';
import type { Command } from './command.js';
import { signingKeyFileOf } from './evidenceKeyCommand.js';
import { CommandRefused, say } from './processLifetime.js';

/** Exit code of a log that contradicts a signed checkpoint. */
const CONTRADICTED = 1;

/** At most one progress line in this many milliseconds. */
const PROGRESS_EVERY_MS = 500;

/**
 * The evidence tree as the read models folded it (read.db), opened read-only, if there is one: it
 * names the exact event that differs. Never the ledger: nothing may fold the log being verified.
 */
const openTree = (dataDir: string): { tree?: EvidenceTreeReader; close: () => void } => {
  const file = join(dataDir, 'read.db');
  if (!existsSync(file)) return { close: () => {} };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return { tree: new EvidenceTreeReader(db), close: () => db.close() };
  } catch {
    // A read.db older than the evidence tree: the log is verified all the same, less precisely.
    db.close();
    return { close: () => {} };
  }
};

/** Every checkpoint the ledger kept (evidence.db), labelled by its size; none if it has none. */
const keptCheckpoints = (dataDir: string) => {
  const file = join(dataDir, 'evidence.db');
  if (!existsSync(file)) return [];
  const kept = new CheckpointStore(file);
  try {
    return keptToVerify(kept.all());
  } finally {
    kept.close();
  }
};

/**
 * The run recorded in the folder's evidence.db, as `serve`'s are (`GET /v1/evidence/verification`
 * answers the latest), when there is a data folder to record it in.
 */
const recordRun = (
  dataDir: string,
  r: LogVerification,
  checkpoints: Parameters<typeof verificationRecord>[1],
): void => {
  if (!existsSync(dataDir)) return;
  const kept = new CheckpointStore(join(dataDir, 'evidence.db'));
  try {
    kept.verifications.record(verificationRecord(r, checkpoints, 'cli', Date.now()));
  } finally {
    kept.close();
  }
};

const openStore = (dataDir: string, connection: string | undefined): EventStore => {
  if (connection) return new EsdbEventStore(connection);
  const file = join(dataDir, 'events.db');
  if (!existsSync(file)) throw new CommandRefused(`no event log in ${dataDir} (events.db)`);
  return new SqliteEventStore(file);
};

/** Recomputes the evidence tree from the log and holds it to every signed checkpoint. */
export const verifyCommand: Command<'verify'> = {
  name: 'verify',
  summary:
    'recomputes the evidence tree from the log and checks it against every signed checkpoint',
  flags: ['data', 'key', 'checkpoint'],
  usage: '[--data DIR] [--checkpoint FILE] [--key KEYFILE]',
  notes: [
    'reads the log (events.db, or EVENTSTORE_CONNECTION_STRING), the kept',
    'checkpoints (DATA/evidence.db) and read.db read-only; opens no ledger;',
    'records the run in DATA/evidence.db (GET /v1/evidence/verification).',
    'exit 0 with counts; exit 1 naming the first position that contradicts a',
    'signed checkpoint; events after the last checkpoint are not yet covered',
  ],
  async run({ dataDir, eventStoreConnectionString, signingKeyFile, key, checkpoint }) {
    const verifier = key ?? readSigningKey(signingKeyFileOf(dataDir, signingKeyFile)).verifier;
    const checkpoints = keptCheckpoints(dataDir);
    if (checkpoint)
      checkpoints.push({ label: `the checkpoint in ${checkpoint.file}`, note: checkpoint.text });
    const store = openStore(dataDir, eventStoreConnectionString);
    const tree = openTree(dataDir);
    const started = Date.now();
    let lastReport = started;
    try {
      const r = await verifyLog({
        store,
        key: verifier,
        checkpoints,
        tree: tree.tree,
        onProgress: (events) => {
          const now = Date.now();
          if (now - lastReport < PROGRESS_EVERY_MS) return;
          lastReport = now;
          say(
            `verify: ${events} events, ${Math.round(events / ((now - started) / 1000))} events/s`,
          );
        },
      });
      recordRun(dataDir, r, checkpoints);
      if (!r.ok) {
        say(`thread-ledger verify: ${r.reason}`);
        return CONTRADICTED;
      }
      const notCovered =
        r.uncovered === 0
          ? 'every event is covered'
          : `${r.uncovered} events after it are not yet covered (from position ${r.firstUncoveredPosition} on)`;
      process.stdout.write(
        r.checkpoints === 0
          ? `verified ${r.events} events against 0 signed checkpoints; ${r.uncovered} events are not yet covered\n`
          : `verified ${r.events} events against ${r.checkpoints} signed checkpoints (the last at size ${r.coveredSize}); ${notCovered}\n`,
      );
      say(`verify: done in ${((Date.now() - started) / 1000).toFixed(2)} s`);
      return 0;
    } finally {
      tree.close();
      await store.close();
    }
  },
};
