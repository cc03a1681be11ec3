import type Database from 'better-sqlite3';
import type { KeyStore } from '../io/keys/keyStore.js';
import type { RolloutPurger } from '../io/rolloutFiles.js';
import type { ProjectionRunner } from '../projections/projectionRunner.js';
import type { ReadModelQueries } from '../projections/readModelQueries.js';
import type { WalScrubber } from '../projections/walScrubber.js';
import type { EventCodec } from '../store/eventCodec.js';
import type { EventStore } from '../store/eventStore.js';
import type { CommandHandler } from './commandHandler.js';
import type { DeletionWorker } from './deletion/deletionWorker.js';
import type { WorkerLoop } from './deletion/workerLoop.js';
import type { Evidence } from './evidence/evidence.js';
import type { ThreadLifecycle } from './threadLifecycle.js';
import type { ThreadRepository } from './threadRepository.js';

/**
 * The application over one data folder, as `main/openLedger.ts` wires it: what the API, the CLI
 * and the Codex use cases are given.
 */
export type Ledger = {
  readonly store: EventStore;
  readonly keys: KeyStore;
  readonly purger: RolloutPurger;
  readonly codec: EventCodec;
  readonly repo: ThreadRepository;
  readonly commands: CommandHandler;
  readonly lifecycle: ThreadLifecycle;
  readonly readDb: Database.Database;
  readonly runner: ProjectionRunner;
  readonly queries: ReadModelQueries;
  readonly worker: DeletionWorker;
  readonly workerLoop: WorkerLoop;
  /** Empties the read models' WAL after each deletion, retrying while a reader holds it. */
  readonly scrubber: WalScrubber;
  readonly evidence: Evidence;
  close(): Promise<void>;
};
