import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { stepsFoundBy } from '../domain/deletionProcess.js';
import type { DomainEvent, EventOf } from '../domain/events.js';
import { threadIdOfStream } from '../domain/ids.js';
import { EventMetadata } from '../domain/metadata.js';
import { stepDoneBy, stepKey } from '../domain/purgeSteps.js';
import { decodeEventData, describeSchemaError } from '../domain/schema.js';
import { fromBase64, utf8 } from './bytes.js';
import { openCheckpoint } from './checkpoint.js';
import { parseEntry } from './entry.js';
import type { EvidenceCrypto } from './evidenceCrypto.js';
import { checkInclusion, type Hash, treeHasher } from './merkle.js';
import { RECEIPT_EVENT_TYPES, Receipt } from './receipt.js';
import type { VerifierKey } from './signedNote.js';

/** One event of the receipt, proven in the signed log. */
type Proven = {
  readonly leaf: number;
  readonly position: bigint;
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
};

export type StepRecord = {
  readonly key: string;
  readonly outcome: string;
  readonly at: number;
  readonly by: string;
  readonly position: string;
  /** What the step recorded: sizes and hashes of files, rows per table, lines removed; a waiver's reason. */
  readonly detail: Record<string, unknown>;
};

export type ThreadSummary = {
  readonly threadId: string;
  /** The thread whose tombstone named it as a child; null for the root. */
  readonly parentThreadId: string | null;
  readonly rootThreadId: string;
  readonly requestedAt: number;
  readonly deletedAt: number;
  readonly steps: readonly StepRecord[];
  readonly failures: number;
};

/** What a valid, complete receipt proves. Times are epoch milliseconds as recorded. */
export type ReceiptSummary = {
  readonly threadId: string;
  /** The thread whose subtree the receipt proves deleted: where the walk starts. */
  readonly rootThreadId: string;
  /**
   * The deletion this subtree was tombstoned by, when its root is not that deletion's root (a
   * subagent found after its ancestor's deletion, tombstoned as part of it): null otherwise.
   */
  readonly partOf: string | null;
  readonly requestedBy: string;
  readonly requestId: string;
  readonly reason: string | null;
  readonly requestedAt: number;
  readonly completedAt: number;
  readonly checkpoint: { readonly origin: string; readonly size: number };
  readonly keyName: string;
  readonly entries: number;
  readonly threads: readonly ThreadSummary[];
};

const ALLOWED = new Set<string>([...RECEIPT_EVENT_TYPES, 'ThreadStarted']);

const fail = (reason: string): E.Either<string, never> => E.left(reason);

/** Proves each entry under the checkpoint and reads it as an event of the thread its stream names. */
const proveEntries = (
  crypto: EvidenceCrypto,
  receipt: Receipt,
  size: number,
  root: Hash,
): E.Either<string, Proven[]> => {
  const hasher = treeHasher(crypto);
  const seen = new Set<number>();
  const out: Proven[] = [];
  for (const [i, e] of receipt.entries.entries()) {
    const where = `entry ${i}`;
    if (!Number.isSafeInteger(e.leafIndex) || e.leafIndex < 0 || e.leafIndex >= size)
      return fail(`${where}: leaf ${e.leafIndex} is not in the checkpoint's tree of ${size}`);
    if (seen.has(e.leafIndex)) return fail(`${where}: leaf ${e.leafIndex} appears twice`);
    seen.add(e.leafIndex);
    const entry = parseEntry(e.entry);
    if (E.isLeft(entry)) return fail(`${where} ${entry.left}`);
    const at = `${where} (position ${entry.right.position})`;
    const proof = e.proof.map(fromBase64);
    if (proof.some((h) => h === null || h.length !== 32))
      return fail(`${at}: its proof is not a list of base64 SHA-256 hashes`);
    if (
      !checkInclusion(hasher, proof as Hash[], size, root, e.leafIndex, hasher.leaf(utf8(e.entry)))
    )
      return fail(
        `${at}: not in the signed log: its inclusion proof does not lead to the checkpoint's root (an edited entry, proof or leaf index)`,
      );
    const meta = EventMetadata.decode(entry.right.metadata);
    if (E.isLeft(meta)) return fail(`${at}: metadata ${PathReporter.report(meta).join('; ')}`);
    const event = decodeEventData(entry.right.type, meta.right.schemaVersion, entry.right.data);
    if (E.isLeft(event)) return fail(`${at}: ${describeSchemaError(event.left)}`);
    if (!ALLOWED.has(event.right.type))
      return fail(`${at}: a ${event.right.type} event has no place in a deletion receipt`);
    const threadId = (event.right.data as { threadId: string }).threadId;
    if (threadIdOfStream(entry.right.stream) !== threadId)
      return fail(`${at}: an event of thread ${threadId} in stream ${entry.right.stream}`);
    out.push({
      leaf: e.leafIndex,
      position: entry.right.position,
      event: event.right,
      metadata: meta.right,
    });
  }
  out.sort((a, b) => a.leaf - b.leaf);
  for (let i = 1; i < out.length; i++)
    if (out[i]!.position <= out[i - 1]!.position)
      return fail(
        `the entries at leaves ${out[i - 1]!.leaf} and ${out[i]!.leaf} are out of log order`,
      );
  return E.right(out);
};

const first = <K extends DomainEvent['type']>(
  events: readonly Proven[],
  type: K,
): (Proven & { event: EventOf<K> }) | undefined =>
  events.find((p) => p.event.type === type) as (Proven & { event: EventOf<K> }) | undefined;

const detailOf = (e: DomainEvent): Record<string, unknown> => {
  const { threadId: _, ...rest } = e.data as Record<string, unknown>;
  return rest;
};

/**
 * Checks one thread's deletion: every step its tombstone committed to, and every one its Codex
 * home inventory found, settled (done or waived) between its tombstone and its `ThreadDeleted`.
 */
const checkThread = (
  threadId: string,
  parentThreadId: string | null,
  events: readonly Proven[],
): E.Either<string, ThreadSummary> => {
  const tombstone = first(events, 'ThreadDeleteRequested');
  if (!tombstone) return fail(`thread ${threadId} has no tombstone in the receipt`);
  const at = `thread ${threadId} (tombstone at position ${tombstone.position})`;
  const commits = tombstone.event.data.commits;
  if (commits === null)
    return fail(
      `${at}: its tombstone commits to nothing (recorded before tombstones did): its completeness cannot be proven`,
    );
  const deleted = first(events, 'ThreadDeleted');
  if (!deleted || deleted.leaf < tombstone.leaf)
    return fail(`${at}: no ThreadDeleted: its deletion is not complete`);
  const required = new Set(commits.steps);
  const settled = new Map<string, StepRecord>();
  let failures = 0;
  for (const p of events) {
    if (p.leaf < tombstone.leaf) continue;
    if (p.event.type === 'DeletionStepFailed') failures++;
    if (p.event.type === 'CodexHomeInventoried')
      for (const s of stepsFoundBy(p.event.data)) required.add(stepKey(s));
    const done = stepDoneBy(p.event);
    if (!done || settled.has(done.key) || p.leaf > deleted.leaf) continue;
    settled.set(done.key, {
      key: done.key,
      outcome: done.outcome,
      at: p.metadata.recordedAtMs,
      by: p.metadata.actor,
      position: String(p.position),
      detail: detailOf(p.event),
    });
  }
  for (const key of required)
    if (!settled.has(key))
      return fail(`${at}: step ${key} has no recorded purge or waiver before its ThreadDeleted`);
  return E.right({
    threadId,
    parentThreadId,
    rootThreadId: tombstone.event.data.rootThreadId,
    requestedAt: tombstone.metadata.recordedAtMs,
    deletedAt: deleted.metadata.recordedAtMs,
    steps: [...settled.values()],
    failures,
  });
};

/**
 * Verifies a deletion receipt offline against the ledger's verifier key: the checkpoint's
 * signature, every entry's inclusion proof, and completeness: from the root's tombstone, every
 * child each tombstone commits to deleted, every committed step settled, each thread deleted
 * before its parent, and nothing in the receipt outside that subtree. The reason when it fails.
 */
export const verifyReceipt = (
  crypto: EvidenceCrypto,
  key: VerifierKey,
  json: unknown,
): E.Either<string, ReceiptSummary> => {
  const decoded = Receipt.decode(json);
  if (E.isLeft(decoded))
    return fail(`not a deletion receipt: ${PathReporter.report(decoded).join('; ')}`);
  const receipt = decoded.right;
  if (receipt.keyName !== key.name)
    return fail(`the receipt names key ${receipt.keyName}, not the key given (${key.name})`);
  const checkpoint = openCheckpoint(crypto, receipt.checkpoint, key);
  if (typeof checkpoint === 'string') return fail(`the checkpoint: ${checkpoint}`);
  const proven = proveEntries(crypto, receipt, checkpoint.size, checkpoint.root);
  if (E.isLeft(proven)) return proven;

  const byThread = new Map<string, Proven[]>();
  for (const p of proven.right) {
    const id = (p.event.data as { threadId: string }).threadId;
    byThread.set(id, [...(byThread.get(id) ?? []), p]);
  }
  const root = receipt.rootThreadId;
  const rootTombstone = first(byThread.get(root) ?? [], 'ThreadDeleteRequested');
  if (!rootTombstone) return fail(`the receipt has no tombstone of its root thread ${root}`);

  const threads: ThreadSummary[] = [];
  const visited = new Set<string>();
  const notChildren = new Set<string>();
  const queue: [string, string | null][] = [[root, null]];
  while (queue.length > 0) {
    const [id, parent] = queue.shift()!;
    if (visited.has(id)) continue;
    visited.add(id);
    const checked = checkThread(id, parent, byThread.get(id) ?? []);
    if (E.isLeft(checked)) return checked;
    const deletedAt = first(byThread.get(id)!, 'ThreadDeleted')!;
    for (const child of first(byThread.get(id)!, 'ThreadDeleteRequested')!.event.data.commits!
      .children) {
      const events = byThread.get(child) ?? [];
      const started = first(events, 'ThreadStarted');
      // An edge to a thread started under another parent is not a child of this one, whatever
      // became of it since (deleted later with its own parent, say): as the ledger judges it.
      if (started && started.event.data.parentThreadId !== id) {
        notChildren.add(child);
        continue;
      }
      if (started && !first(events, 'ThreadDeleteRequested'))
        return fail(`child ${child} of ${id} was started under it but has no tombstone`);
      const childDeleted = first(events, 'ThreadDeleted');
      if (!childDeleted)
        return fail(
          `child ${child} of ${id}, committed by its tombstone, is not deleted in the receipt`,
        );
      if (childDeleted.leaf > deletedAt.leaf)
        return fail(`thread ${id} was recorded deleted before its child ${child}`);
      queue.push([child, id]);
    }
    threads.push(checked.right);
  }
  for (const id of byThread.keys())
    if (!visited.has(id) && !notChildren.has(id))
      return fail(`thread ${id} is in the receipt but not in the subtree of ${root}`);
  if (!visited.has(receipt.threadId))
    return fail(`the receipt's thread ${receipt.threadId} is not in the subtree of ${root}`);
  const rootDeleted = first(byThread.get(root)!, 'ThreadDeleted')!;
  return E.right({
    threadId: receipt.threadId,
    rootThreadId: root,
    partOf:
      rootTombstone.event.data.rootThreadId === root ? null : rootTombstone.event.data.rootThreadId,
    requestedBy: rootTombstone.metadata.actor,
    requestId: rootTombstone.metadata.requestId,
    reason: rootTombstone.event.data.reason,
    requestedAt: rootTombstone.metadata.recordedAtMs,
    completedAt: rootDeleted.metadata.recordedAtMs,
    checkpoint: { origin: checkpoint.origin, size: checkpoint.size },
    keyName: key.name,
    entries: proven.right.length,
    threads,
  });
};
