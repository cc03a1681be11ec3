import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../app/clock.js';
import { CommandHandler } from '../app/commandHandler.js';
import { contentKeyExecutor } from '../app/deletion/contentKeyStep.js';
import { DeletionWorker } from '../app/deletion/deletionWorker.js';
import { historyFileExecutor, sessionIndexExecutor } from '../app/deletion/lineFileSteps.js';
import { rolloutExecutor } from '../app/deletion/rolloutStep.js';
import { WorkerLoop } from '../app/deletion/workerLoop.js';
import { CheckpointSigner, type SigningPolicy } from '../app/evidence/checkpointSigner.js';
import type { Evidence } from '../app/evidence/evidence.js';
import { ReceiptBuilder } from '../app/evidence/receiptBuilder.js';
import type { Ledger } from '../app/ledger.js';
import { RolloutPathPolicy } from '../app/rolloutPathPolicy.js';
import { ThreadLifecycle } from '../app/threadLifecycle.js';
import { ThreadRepository } from '../app/threadRepository.js';
import { codexDatabaseExecutor } from '../codex/codexDatabaseStep.js';
import type { CodexHome } from '../codex/codexHome.js';
import { CodexInventory } from '../codex/codexInventory.js';
import { codexInventoryExecutor } from '../codex/codexInventoryStep.js';
import type { CodexLedger } from '../codex/codexLedger.js';
import type { RetryPolicy } from '../domain/deletionProcess.js';
import type { ThreadId } from '../domain/ids.js';
import { CheckpointStore } from '../io/evidence/checkpointStore.js';
import { openSigningKey } from '../io/evidence/signingKey.js';
import { KeyServiceClient, type KeyServiceClientOptions } from '../io/keys/keyServiceClient.js';
import type { KeyStore } from '../io/keys/keyStore.js';
import { SqliteKeyStore } from '../io/keys/sqliteKeyStore.js';
import { RolloutPurger } from '../io/rolloutFiles.js';
import { DeletionSignals } from '../projections/deletionSignals.js';
import { EvidenceTreeReader } from '../projections/evidenceTreeReader.js';
import { ProjectionRunner } from '../projections/projectionRunner.js';
import { ReadModelQueries } from '../projections/readModelQueries.js';
import { allProjections, openReadModels } from '../projections/readModels.js';
import { WalScrubber } from '../projections/walScrubber.js';
import { EsdbEventStore } from '../store/esdb/esdbEventStore.js';
import { EventCodec } from '../store/eventCodec.js';
import type { EventStore } from '../store/eventStore.js';
import { SqliteEventStore } from '../store/sqlite/sqliteEventStore.js';

export type LedgerConfig = {
  /** Folder of the event log, the key store and the read models. */
  readonly dataDir: string;
  /** The only folders rollout files may be deleted from. */
  readonly rolloutRoots: readonly string[];
  /**
   * An EventStoreDB / KurrentDB connection string (`esdb://host:2113?tls=false`, or several hosts):
   * the log lives there instead of in the embedded SQLite file. Read models stay local.
   */
  readonly eventStoreConnectionString?: string;
  /**
   * The key service shared by every instance (`thread-ledger key-service`). Without it the keys
   * live in this instance's data folder, which only one instance may use.
   */
  readonly keyService?: KeyServiceClientOptions;
  /**
   * The Codex home the threads were imported from: a deletion also purges what they left there
   * (its databases' rows, `history.jsonl`, every rollout carrying their ids). Its session index
   * and history file are then the only ones the worker may rewrite.
   */
  readonly codexHome?: CodexHome;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
  readonly workerBatchSize?: number;
  readonly pollMs?: number;
  /** The checkpoint signing key (`LEDGER_SIGNING_KEY_FILE`); by default `DATA/evidence-signing.key`, made on first start. */
  readonly signingKeyFile?: string;
  /** How often checkpoints are signed (tests shorten it). */
  readonly signing?: SigningPolicy;
};

/**
 * The evidence over the log: the tree the runner folds, checkpoints signed as the runner applies
 * batches (in `evidence.db`, kept for good), the signing key, receipts.
 */
const openEvidence = (
  cfg: LedgerConfig,
  dataDir: string,
  clock: Clock,
  parts: Pick<Ledger, 'store' | 'codec' | 'runner' | 'readDb'>,
): Evidence => {
  const keyFile = cfg.signingKeyFile ?? join(dataDir, 'evidence-signing.key');
  const { key, created } = openSigningKey(keyFile, cfg.signingKeyFile === undefined);
  const tree = new EvidenceTreeReader(parts.readDb);
  const kept = new CheckpointStore(join(dataDir, 'evidence.db'));
  const signer = new CheckpointSigner(tree, kept, key, clock, cfg.signing);
  parts.runner.onApplied((events) => signer.heard(events));
  const receipts = new ReceiptBuilder(
    parts.store,
    parts.codec,
    parts.runner,
    tree,
    signer,
    key.verifier.name,
  );
  return { tree, signer, key, keyFile, keyCreated: created, receipts };
};

/** Everything wired together over one data folder: the composition root. */
export const openLedger = (cfg: LedgerConfig): CodexLedger => {
  const dataDir = resolve(cfg.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const clock = cfg.clock ?? Date.now;
  const store: EventStore = cfg.eventStoreConnectionString
    ? new EsdbEventStore(cfg.eventStoreConnectionString)
    : new SqliteEventStore(join(dataDir, 'events.db'), { pollMs: cfg.pollMs ?? 50 });
  const keys: KeyStore = cfg.keyService
    ? new KeyServiceClient(cfg.keyService)
    : new SqliteKeyStore(join(dataDir, 'keys.db'));
  const codec = new EventCodec(keys);
  // Event ids are UUIDv7: time-ordered, so the log's unique index on them grows at one end
  // instead of taking a random page per append.
  const repo = new ThreadRepository(store, codec, clock, uuidv7);
  const commands = new CommandHandler(repo, clock);
  const purger = new RolloutPurger(cfg.rolloutRoots);
  const readDb = openReadModels(join(dataDir, 'read.db'));
  // What the read models learn of deletions, as they learn it from the log (see DeletionSignals).
  const deletions = new DeletionSignals();
  const runner = new ProjectionRunner(readDb, store, codec, allProjections, { deletions });
  const queries = new ReadModelQueries(readDb);
  // A rollout a writer names must be one the purge accepts, and not already another thread's.
  const rolloutPaths = new RolloutPathPolicy(cfg.rolloutRoots, async (path) => {
    await runner.catchUp();
    return queries.rolloutOwner(path);
  });
  const lifecycle = new ThreadLifecycle(commands, rolloutPaths);
  const home = cfg.codexHome ?? null;
  const inventory = home ? new CodexInventory(home) : null;
  const worker = new DeletionWorker({
    commands,
    executors: {
      InventoryCodexHome: codexInventoryExecutor(inventory),
      PurgeRollout: rolloutExecutor(purger),
      PurgeSessionIndex: sessionIndexExecutor(home ? [home.sessionIndexPath] : []),
      PurgeHistoryFile: historyFileExecutor(home ? [home.historyPath] : []),
      PurgeCodexDatabase: codexDatabaseExecutor(home?.root ?? null),
      ShredContent: contentKeyExecutor(keys),
    },
    clock,
    retry: cfg.retry,
    batchSize: cfg.workerBatchSize,
    pending: async () => {
      // A pass may be driven without the live runner (awaitDeletion, `worker --until-idle`): it
      // must still see every tombstone already in the log.
      await runner.catchUp();
      return queries.pendingDeletions(clock()) as ThreadId[];
    },
  });
  // A tombstone written by this process or any other wakes the worker at once.
  const workerLoop = new WorkerLoop(worker, clock, { wakeOn: deletions.requested });
  // A deletion finished, here or by another instance's worker: empty the read models' WAL.
  const scrubber = new WalScrubber(readDb);
  deletions.completed.subscribe(() => scrubber.request());
  const evidence = openEvidence(cfg, dataDir, clock, { store, codec, runner, readDb });
  return {
    store,
    keys,
    purger,
    codec,
    repo,
    commands,
    lifecycle,
    readDb,
    runner,
    queries,
    worker,
    workerLoop,
    inventory,
    scrubber,
    evidence,
    async close() {
      await workerLoop.stop();
      await runner.stop();
      evidence.signer.close();
      evidence.signer.kept.close();
      scrubber.stop();
      await store.close();
      await keys.close();
      readDb.close();
    },
  };
};
