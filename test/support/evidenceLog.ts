import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { artifactSteps, commitmentOf, stepsFoundBy } from '../../src/domain/deletionProcess.js';
import type { DeletionCommitment, DomainEvent } from '../../src/domain/events.js';
import { streamOf, type ThreadId } from '../../src/domain/ids.js';
import type { EventMetadata } from '../../src/domain/metadata.js';
import { type PurgeStep, stepKey } from '../../src/domain/purgeSteps.js';
import { schemaVersionOf } from '../../src/domain/schema.js';
import { fold } from '../../src/domain/threadState.js';
import { toBase64, utf8 } from '../../src/evidence/bytes.js';
import { formatCheckpoint } from '../../src/evidence/checkpoint.js';
import { entryText, type StoredRecord } from '../../src/evidence/entry.js';
import {
  type Hash,
  proveInclusion,
  storedHashesForLeaf,
  treeHash,
} from '../../src/evidence/merkle.js';
import { RECEIPT_EVENT_TYPES, RECEIPT_FORMAT, type Receipt } from '../../src/evidence/receipt.js';
import { formatNote, keyIdOf, type VerifierKey } from '../../src/evidence/signedNote.js';
import { nodeEvidenceCrypto, nodeTreeHasher } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import { newId, startedData } from './threads.js';

/**
 * An in-memory signed log for specs of the evidence rules: domain events appended as the store
 * would record them (one stream per thread, a revision per stream, 1-based global positions, data
 * and metadata as JSON text), each the leaf of an RFC 9162 tree kept as the ledger keeps it
 * (stored hashes, `storedHashesForLeaf`), so that proofs come from `proveInclusion`; checkpoints
 * signed with a real Ed25519 key; receipts built from it as the ledger would build them.
 */

/** An Ed25519 key that signs checkpoints as signed notes, and the verifier key that opens them. */
export type Signer = {
  readonly key: VerifierKey;
  /** The signed note of `text`, signed by this key only. */
  readonly sign: (text: string) => string;
};

export const newSigner = (name = 'ledger.test'): Signer => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  const key: VerifierKey = {
    name,
    keyId: keyIdOf(nodeEvidenceCrypto, name, raw),
    publicKey: raw,
  };
  return {
    key,
    sign: (text) =>
      formatNote({
        text,
        signatures: [
          { name, keyId: key.keyId, signature: sign(null, Buffer.from(text, 'utf8'), privateKey) },
        ],
      }),
  };
};

/** Who and when an event is recorded with; what is left out gets the log's defaults. */
export type Recorded = {
  readonly actor?: string;
  readonly requestId?: string;
  /** Milliseconds since the epoch; by default the log's clock, one second per event. */
  readonly recordedAtMs?: number;
  readonly schemaVersion?: number;
  /** The stream to record it in; by default the stream of the thread it is about. */
  readonly streamId?: string;
};

/** One leaf of the log. `record` and `event` are absent for a raw text appended as it is. */
export type LogEntry = {
  readonly leafIndex: number;
  readonly text: string;
  readonly record?: StoredRecord;
  readonly event?: DomainEvent;
  readonly metadata?: EventMetadata;
};

/** The thread an event is about: the parent for a spawn edge, which is on the parent's stream. */
export const threadOfEvent = (e: DomainEvent): ThreadId =>
  e.type === 'SubagentSpawned' ? e.data.parentThreadId : e.data.threadId;

export type ReceiptOptions = {
  /** The thread the receipt is asked for; the root by default. */
  readonly threadId?: ThreadId;
  /** The checkpoint's tree size; the log's size by default. */
  readonly size?: number;
  readonly signer?: Signer;
  /** Which entries of the threads it carries; by default those of RECEIPT_EVENT_TYPES. */
  readonly include?: (e: LogEntry) => boolean;
};

const RECEIPT_TYPES = new Set<string>(RECEIPT_EVENT_TYPES);

export class EvidenceLog {
  readonly entries: LogEntry[] = [];
  private readonly hashes: Hash[] = [];
  private readonly revisions = new Map<string, bigint>();
  private clockMs = 1_800_000_000_000;

  constructor(
    readonly signer: Signer = newSigner(),
    readonly origin = 'thread-ledger.test/evidence',
  ) {}

  get size(): number {
    return this.entries.length;
  }

  private readonly read = (indexes: readonly number[]): Hash[] =>
    indexes.map((i) => {
      const h = this.hashes[i];
      if (!h) throw new Error(`no stored hash ${i}`);
      return h;
    });

  /** Appends a leaf of exactly this text (an entry the rules should refuse, say). */
  appendText(text: string): LogEntry {
    const leafIndex = this.entries.length;
    const leaf = nodeTreeHasher.leaf(utf8(text));
    this.hashes.push(...storedHashesForLeaf(nodeTreeHasher, leafIndex, leaf, this.read));
    const entry = { leafIndex, text };
    this.entries.push(entry);
    return entry;
  }

  /** Records a domain event as the store would, and adds its entry to the tree. */
  append(event: DomainEvent, at: Recorded = {}): LogEntry {
    const streamId = at.streamId ?? streamOf(threadOfEvent(event));
    const revision = this.revisions.get(streamId) ?? 0n;
    this.revisions.set(streamId, revision + 1n);
    this.clockMs += 1000;
    const metadata: EventMetadata = {
      actor: at.actor ?? 'alice',
      requestId: at.requestId ?? `req-${randomUUID()}`,
      causationId: null,
      recordedAtMs: at.recordedAtMs ?? this.clockMs,
      schemaVersion: (at.schemaVersion ??
        schemaVersionOf(event.type)) as EventMetadata['schemaVersion'],
    };
    const record: StoredRecord = {
      streamId,
      revision,
      id: randomUUID(),
      type: event.type,
      position: BigInt(this.entries.length + 1),
      dataJson: JSON.stringify(event.data),
      metadataJson: JSON.stringify(metadata),
    };
    const leaf = this.appendText(entryText(record));
    const entry = { ...leaf, record, event, metadata };
    this.entries[leaf.leafIndex] = entry;
    return entry;
  }

  /** The events of one thread's stream, in order. */
  eventsOf(threadId: ThreadId): DomainEvent[] {
    const stream = streamOf(threadId);
    return this.entries.flatMap((e) => (e.record?.streamId === stream && e.event ? [e.event] : []));
  }

  root(size = this.size): Hash {
    return treeHash(nodeTreeHasher, nodeEvidenceCrypto, size, this.read);
  }

  prove(leafIndex: number, size = this.size): Hash[] {
    return proveInclusion(nodeTreeHasher, size, leafIndex, this.read);
  }

  /** The checkpoint of the first `size` leaves, signed as a note. */
  checkpoint(size = this.size, signer = this.signer): string {
    return signer.sign(formatCheckpoint({ origin: this.origin, size, root: this.root(size) }));
  }

  /**
   * A receipt of the deletion of `rootThreadId`: the entries of `threadIds` (of the receipt's
   * event types, unless told), each with its proof under one checkpoint signed at `size`.
   */
  receiptFor(
    rootThreadId: ThreadId,
    threadIds: readonly ThreadId[],
    opts: ReceiptOptions = {},
  ): Receipt {
    const size = opts.size ?? this.size;
    const signer = opts.signer ?? this.signer;
    const streams = new Set(threadIds.map(streamOf));
    const include = opts.include ?? ((e: LogEntry) => RECEIPT_TYPES.has(e.record?.type ?? ''));
    return {
      format: RECEIPT_FORMAT,
      threadId: opts.threadId ?? rootThreadId,
      rootThreadId,
      keyName: signer.key.name,
      checkpoint: this.checkpoint(size, signer),
      entries: this.entries
        .slice(0, size)
        .filter((e) => e.record && streams.has(e.record.streamId) && include(e))
        .map((e) => ({
          leafIndex: e.leafIndex,
          entry: e.text,
          proof: this.prove(e.leafIndex, size).map(toBase64),
        })),
    };
  }
}

// ---- Scenarios: a subtree started, tombstoned, purged and deleted, as the ledger records it ----

/** A thread of a subtree to delete, and what it left behind. */
export type ThreadShape = {
  readonly id?: ThreadId;
  readonly children?: readonly ThreadShape[];
  /** Its rollout is recorded (two steps: the file, removed; its `.zst` sibling, absent). Default true. */
  readonly rollout?: boolean;
  /** Imported from a Codex home: its inventory finds a history file and a database to purge. */
  readonly codexHome?: boolean;
  /** Which of its steps (key, and index in the order they are settled) fail and are waived. */
  readonly waive?: (key: string, index: number) => boolean;
};

export type PlannedThread = {
  readonly id: ThreadId;
  readonly parent: ThreadId | null;
  readonly shape: ThreadShape;
};

export const ACTORS = {
  owner: 'alice',
  deleter: 'compliance-bob',
  worker: 'deletion-worker',
  operator: 'operator-olga',
} as const;

export const WAIVER_REASON = 'the volume holding it was retired';
export const CODEX_HOME = '/home/dev/.codex';
export const HISTORY_FILE = `${CODEX_HOME}/history.jsonl`;
export const DATABASE_FILE = `${CODEX_HOME}/state_5.sqlite`;
export const ROLLOUT_BYTES = 4096;

export const rolloutPathOf = (id: ThreadId): string =>
  `${CODEX_HOME}/sessions/2026/11/30/rollout-2026-11-30T00-00-00-${id}.jsonl`;

/** A sha256 hex that stands for a file's content: the same for the same name. */
const sha256Of = (s: string): string =>
  Buffer.from(nodeEvidenceCrypto.sha256(utf8(s))).toString('hex');

/** `waive` for these step keys. */
export const waiving =
  (...keys: string[]) =>
  (key: string): boolean =>
    keys.includes(key);

/**
 * A subtree deleted step by step in one log. `deleteAll()` records it as the ledger does: started
 * (parents first, each spawn edge on its parent), tombstoned from the root down (each tombstone
 * committing to what its stream calls for, `commitmentOf`), each thread's steps settled and its
 * `ThreadDeleted` written children first, the root's last. The parts are public so that a spec
 * can record a history the ledger would not.
 */
export class SubtreeScenario {
  readonly threads: PlannedThread[] = [];
  readonly root: ThreadId;
  readonly requestId = `req-delete-${randomUUID()}`;

  constructor(
    readonly log: EvidenceLog,
    shape: ThreadShape,
    readonly reason: string | null = 'GDPR erasure request #4411',
  ) {
    const plan = (s: ThreadShape, parent: ThreadId | null): void => {
      const id = s.id ?? newId();
      this.threads.push({ id, parent, shape: s });
      for (const c of s.children ?? []) plan(c, id);
    };
    plan(shape, null);
    this.root = this.threads[0]!.id;
  }

  get ids(): ThreadId[] {
    return this.threads.map((t) => t.id);
  }

  thread(id: ThreadId): PlannedThread {
    const t = this.threads.find((x) => x.id === id);
    if (!t) throw new Error(`no thread ${id} in the scenario`);
    return t;
  }

  childrenOf(id: ThreadId): ThreadId[] {
    return this.threads.filter((t) => t.parent === id).map((t) => t.id);
  }

  /** The thread and all below it. */
  subtreeOf(id: ThreadId): ThreadId[] {
    return [id, ...this.childrenOf(id).flatMap((c) => this.subtreeOf(c))];
  }

  depthOf(id: ThreadId): number {
    const p = this.thread(id).parent;
    return p === null ? 0 : 1 + this.depthOf(p);
  }

  /** Every thread started, parents first; each child's spawn edge on its parent's stream. */
  start(): this {
    for (const t of this.threads) {
      this.log.append(
        {
          type: 'ThreadStarted',
          data: startedData({
            threadId: t.id,
            parentThreadId: t.parent,
            depth: this.depthOf(t.id) as never,
            rolloutPath: t.shape.rollout === false ? null : rolloutPathOf(t.id),
            codex: t.shape.codexHome
              ? {
                  source: 'cli',
                  forkedFromId: null,
                  agentNickname: null,
                  agentRole: null,
                  threadSource: null,
                }
              : null,
          }),
        },
        { actor: ACTORS.owner },
      );
      if (t.parent)
        this.log.append(
          { type: 'SubagentSpawned', data: { parentThreadId: t.parent, childThreadId: t.id } },
          { actor: ACTORS.owner },
        );
    }
    return this;
  }

  /** The tombstone of one thread; `commits` as its stream calls for unless given. */
  tombstone(id: ThreadId, commits?: DeletionCommitment | null): void {
    const isRoot = id === this.root;
    this.log.append(
      {
        type: 'ThreadDeleteRequested',
        data: {
          threadId: id,
          rootThreadId: this.root,
          reason: isRoot ? this.reason : null,
          commits: commits === undefined ? commitmentOf(fold(this.log.eventsOf(id))) : commits,
        },
      },
      { actor: ACTORS.deleter, requestId: this.requestId },
    );
  }

  /** Every thread tombstoned, the root first, then level by level. */
  tombstoneAll(): this {
    const byDepth = [...this.threads].sort((a, b) => this.depthOf(a.id) - this.depthOf(b.id));
    for (const t of byDepth) this.tombstone(t.id);
    return this;
  }

  /** The event that records `step` done, as its executor would. */
  private doneEvent(id: ThreadId, step: PurgeStep): DomainEvent {
    switch (step.kind) {
      case 'InventoryCodexHome':
        return {
          type: 'CodexHomeInventoried',
          data: {
            threadId: id,
            home: CODEX_HOME,
            rollouts: [],
            sessionIndexFiles: [],
            historyFiles: [HISTORY_FILE],
            databases: [DATABASE_FILE],
          },
        };
      case 'PurgeRollout':
        return step.path.endsWith('.zst')
          ? {
              type: 'RolloutPurged',
              data: {
                threadId: id,
                path: step.path,
                outcome: 'absent',
                sizeBytes: null,
                sha256: null,
              },
            }
          : {
              type: 'RolloutPurged',
              data: {
                threadId: id,
                path: step.path,
                outcome: 'removed',
                sizeBytes: ROLLOUT_BYTES,
                sha256: sha256Of(step.path),
              },
            };
      case 'PurgeSessionIndex':
        return {
          type: 'SessionIndexPurged',
          data: { threadId: id, path: step.path, linesRemoved: 1 as never },
        };
      case 'PurgeHistoryFile':
        return {
          type: 'HistoryFilePurged',
          data: { threadId: id, path: step.path, linesRemoved: 3 as never },
        };
      case 'PurgeCodexDatabase':
        return {
          type: 'CodexDatabasePurged',
          data: {
            threadId: id,
            path: step.path,
            tables: [
              { table: 'threads', rows: 1 as never },
              { table: 'thread_spawn_edges', rows: 2 as never },
            ],
          },
        };
      case 'ShredContent':
        return { type: 'ThreadContentShredded', data: { threadId: id, outcome: 'destroyed' } };
    }
  }

  /** Settles one step: its record, or a failure then an operator's waiver. */
  settle(id: ThreadId, step: PurgeStep, waive = false): DomainEvent {
    const key = stepKey(step);
    if (!waive) {
      const done = this.doneEvent(id, step);
      this.log.append(done, { actor: ACTORS.worker });
      return done;
    }
    this.log.append(
      {
        type: 'DeletionStepFailed',
        data: {
          threadId: id,
          step: key,
          error: 'EIO: i/o error',
          attempt: 1 as never,
          nextRetryAtMs: 0,
        },
      },
      { actor: ACTORS.worker },
    );
    const waived: DomainEvent = {
      type: 'DeletionStepWaived',
      data: { threadId: id, step: key, reason: WAIVER_REASON },
    };
    this.log.append(waived, { actor: ACTORS.operator });
    return waived;
  }

  /**
   * Settles every step of one thread (what its history calls for, then what its inventory
   * finds), but those `skip` names; returns the keys settled, in order.
   */
  purge(id: ThreadId, skip: ReadonlySet<string> = new Set()): string[] {
    const { waive } = this.thread(id).shape;
    const steps = artifactSteps(fold(this.log.eventsOf(id)));
    const settled: string[] = [];
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const key = stepKey(step);
      if (settled.includes(key) || skip.has(key)) continue;
      const e = this.settle(id, step, waive?.(key, settled.length) ?? false);
      settled.push(key);
      if (e.type === 'CodexHomeInventoried')
        for (const found of stepsFoundBy(e.data))
          if (!steps.some((s) => stepKey(s) === stepKey(found))) steps.push(found);
    }
    return settled;
  }

  complete(id: ThreadId): void {
    this.log.append(
      { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: this.root } },
      { actor: ACTORS.worker, requestId: this.requestId },
    );
  }

  /** Children first (post-order), the root last: each thread purged then deleted. */
  purgeAndCompleteAll(): this {
    const visit = (id: ThreadId): void => {
      for (const c of this.childrenOf(id)) visit(c);
      this.purge(id);
      this.complete(id);
    };
    visit(this.root);
    return this;
  }

  /** Started, tombstoned, purged and deleted, as the ledger records a deletion. */
  deleteAll(): this {
    return this.start().tombstoneAll().purgeAndCompleteAll();
  }

  /** The receipt of this deletion, for the whole subtree (or the threads given). */
  receipt(opts: ReceiptOptions & { readonly threads?: readonly ThreadId[] } = {}): Receipt {
    return this.log.receiptFor(this.root, opts.threads ?? this.ids, opts);
  }
}

/** A root with two children, the first with a child of its own: four threads, deleted. */
export const deletedSubtree = (
  log = new EvidenceLog(),
  over: { readonly root?: Partial<ThreadShape>; readonly child?: Partial<ThreadShape> } = {},
): SubtreeScenario =>
  new SubtreeScenario(log, {
    ...over.root,
    children: [{ ...over.child, children: [{}] }, {}],
  }).deleteAll();

/** An unrelated live thread's history (started, renamed), so that leaves are not contiguous. */
export const unrelatedActivity = (log: EvidenceLog): ThreadId => {
  const id = newId();
  log.append({ type: 'ThreadStarted', data: startedData({ threadId: id }) });
  log.append({ type: 'ThreadRenamed', data: { threadId: id, name: 'notes', indexedIn: null } });
  return id;
};
