import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { SigningPolicy } from '../../src/app/evidence/checkpointSigner.js';
import type { Ledger } from '../../src/app/ledger.js';
import type { ThreadId } from '../../src/domain/ids.js';
import type { CommandContext } from '../../src/domain/metadata.js';
import { openLedger } from '../../src/main/openLedger.js';
import { EsdbTestServer } from './esdb/esdbTestServer.js';
import { type KeyServiceProcess, startKeyServiceProcess } from './keyServiceProcess.js';
import { tempDir } from './tempDir.js';
import { newId, startedData } from './threads.js';
import { unwrap } from './unwrap.js';

export const ctx: CommandContext = { actor: 'test', requestId: 'req-1', causationId: null };

export type Fixture = {
  ledger: Ledger;
  dir: string;
  rolloutRoot: string;
  clock: { now: number };
  /** Starts a root thread with a rollout file on disk. */
  root(name?: string | null): Promise<ThreadId>;
  /** Spawns a child of `parent` with a rollout file on disk. */
  child(parent: ThreadId): Promise<ThreadId>;
  /** Builds a tree of `size` threads under a new root, each with `fanout` children at most. */
  tree(size: number, fanout?: number): Promise<{ root: ThreadId; all: ThreadId[] }>;
  rolloutOf(id: ThreadId): string;
  reopen(): void;
  close(): Promise<void>;
  /** The EventStoreDB connection string, on that backend. */
  connection: string | undefined;
  /** The key service process, with `keyService: true` (restart it in place to simulate an outage). */
  keyService: KeyServiceProcess | undefined;
};

export type Backend = 'sqlite' | 'esdb';

/** `backend: 'esdb'`: the log lives in a wire-level EventStoreDB test server, over real gRPC. */
export type FixtureOptions = {
  batchSize?: number;
  backend?: Backend;
  /** The content keys live in a key service (a `key-service` process) rather than in the data folder. */
  keyService?: boolean;
  /** How often checkpoints are signed (the ledger's default: every 1,000 events or second). */
  signing?: SigningPolicy;
};

export const ledgerFixture = async (opts: FixtureOptions = {}): Promise<Fixture> => {
  const tmp = await tempDir();
  const esdb = opts.backend === 'esdb' ? new EsdbTestServer() : null;
  const connection = esdb ? await esdb.start() : undefined;
  const keyService = opts.keyService
    ? await startKeyServiceProcess(join(tmp.path, 'keys'))
    : undefined;
  const rolloutRoot = join(tmp.path, 'sessions');
  mkdirSync(rolloutRoot, { recursive: true });
  const clock = { now: 1_790_000_000_000 };
  const open = () =>
    openLedger({
      dataDir: join(tmp.path, 'data'),
      rolloutRoots: [rolloutRoot],
      clock: () => clock.now,
      retry: { baseMs: 100, capMs: 1000 },
      workerBatchSize: opts.batchSize,
      pollMs: 5,
      eventStoreConnectionString: connection,
      keyService: keyService?.client,
      signing: opts.signing,
    });
  const rolloutOf = (id: ThreadId) => join(rolloutRoot, `rollout-${id}.jsonl`);
  const writeRollout = (id: ThreadId) => {
    writeFileSync(rolloutOf(id), `{"type":"session_meta","payload":{"id":"${id}"}}\n`);
    return rolloutOf(id);
  };
  const f: Fixture = {
    ledger: open(),
    dir: tmp.path,
    rolloutRoot,
    clock,
    async root(name = null) {
      const id = newId();
      unwrap(
        await f.ledger.lifecycle.start(
          startedData({
            threadId: id,
            rolloutPath: writeRollout(id),
            name,
            createdAtMs: clock.now++,
          }),
          ctx,
        ),
      );
      return id;
    },
    async child(parent) {
      const id = newId();
      const data = startedData({
        threadId: id,
        parentThreadId: parent,
        rolloutPath: writeRollout(id),
        createdAtMs: clock.now++,
      });
      unwrap(await f.ledger.lifecycle.spawn(parent, data, ctx));
      return id;
    },
    async tree(size, fanout = 2) {
      const root = await f.root();
      const all = [root];
      for (let i = 1; i < size; i++) all.push(await f.child(all[Math.floor((i - 1) / fanout)]!));
      return { root, all };
    },
    rolloutOf,
    reopen() {
      f.ledger = open();
    },
    connection,
    keyService,
    async close() {
      await f.ledger.close();
      await f.keyService?.stop();
      await esdb?.stop();
      await tmp.remove();
    },
  };
  return f;
};

/** A fresh fixture for each test of the enclosing suite, closed after it. */
export const useLedgerFixture = (opts: FixtureOptions = {}): Fixture => {
  const holder: { f?: Fixture } = {};
  beforeEach(async () => {
    holder.f = await ledgerFixture(opts);
  });
  afterEach(async () => {
    await holder.f?.close();
  });
  return new Proxy({} as Fixture, { get: (_, key) => holder.f![key as keyof Fixture] });
};
