import * as E from 'fp-ts/lib/Either.js';
import type { EventOf } from '../../domain/events.js';
import { streamOf, type ThreadId } from '../../domain/ids.js';
import { evolve, initialState, type ThreadState } from '../../domain/threadState.js';
import { entryText } from '../../evidence/entry.js';
import { RECEIPT_EVENT_TYPES, RECEIPT_FORMAT, type Receipt } from '../../evidence/receipt.js';
import type { EvidenceTreeReader } from '../../projections/evidenceTreeReader.js';
import type { ProjectionRunner } from '../../projections/projectionRunner.js';
import type { EventCodec } from '../../store/eventCodec.js';
import type { EventStore, RecordedEvent } from '../../store/eventStore.js';
import { storedRecordOf } from '../../store/storedRecord.js';
import type { CheckpointSigner } from './checkpointSigner.js';

/** Why no receipt can be given (yet). */
export type NoReceipt =
  | { readonly kind: 'ThreadNotFound'; readonly threadId: string }
  /** The deletion the thread belongs to is not complete: `status` is its root's (live: never deleted). */
  | {
      readonly kind: 'DeletionNotComplete';
      readonly threadId: string;
      readonly rootThreadId: string;
      readonly status: 'live' | 'deleting';
    };

const IN_RECEIPT = new Set<string>(RECEIPT_EVENT_TYPES);

type Stream = {
  readonly state: ThreadState;
  readonly records: readonly RecordedEvent[];
  readonly tombstone: EventOf<'ThreadDeleteRequested'> | undefined;
};

/**
 * Builds a thread's deletion receipt (src/evidence/receipt.ts) from the streams, not from a read
 * model: from the root's tombstone, every child each tombstone commits to (or, for a tombstone
 * older than commitments, its stream's spawn edges), each thread's deletion events exactly as
 * stored, with inclusion proofs under one signed checkpoint covering them all.
 */
export class ReceiptBuilder {
  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    private readonly runner: ProjectionRunner,
    private readonly tree: EvidenceTreeReader,
    private readonly signer: CheckpointSigner,
    private readonly keyName: string,
  ) {}

  private async read(id: ThreadId): Promise<Stream> {
    const records = await this.store.readStream(streamOf(id));
    let state = initialState;
    let tombstone: EventOf<'ThreadDeleteRequested'> | undefined;
    for (const r of records) {
      const { event } = this.codec.decodeSealed(r);
      if (event.type === 'ThreadDeleteRequested') tombstone ??= event;
      state = evolve(state, event);
    }
    return { state, records, tombstone };
  }

  async build(threadId: ThreadId): Promise<E.Either<NoReceipt, Receipt>> {
    const asked = await this.read(threadId);
    if (asked.state.status === 'absent') return E.left({ kind: 'ThreadNotFound', threadId });
    const rootThreadId = asked.state.rootThreadId ?? threadId;
    const root = rootThreadId === threadId ? asked : await this.read(rootThreadId);
    if (asked.state.status !== 'deleted' || root.state.status !== 'deleted') {
      const status = root.state.status === 'deleting' ? 'deleting' : 'live';
      return E.left({ kind: 'DeletionNotComplete', threadId, rootThreadId, status });
    }
    const records: RecordedEvent[] = [];
    const queue: [ThreadId, Stream][] = [[rootThreadId, root]];
    const seen = new Set<ThreadId>([rootThreadId]);
    while (queue.length > 0) {
      const [id, stream] = queue.shift()!;
      records.push(...stream.records.filter((r) => IN_RECEIPT.has(r.type)));
      for (const child of stream.tombstone?.data.commits?.children ?? stream.state.children) {
        if (seen.has(child)) continue;
        seen.add(child);
        const c = await this.read(child);
        if (c.state.status === 'deleting' || c.state.status === 'deleted') {
          queue.push([child, c]);
          continue;
        }
        const started = c.records.find((r) => r.type === 'ThreadStarted');
        if (!started || c.state.started?.parentThreadId === id)
          throw new Error(`thread ${id} is deleted but its child ${child} is not`);
        // An edge to a thread started under another parent: its start shows it is no child.
        records.push(started);
      }
    }
    records.sort((a, b) => (a.position < b.position ? -1 : 1));
    const positions = records.map((r) => r.position);
    let leaves = this.tree.leavesOf(positions);
    if (leaves.some((l) => l === null)) {
      await this.runner.catchUp();
      leaves = this.tree.leavesOf(positions);
    }
    const maxLeaf = Math.max(...leaves.map((l) => l ?? Infinity));
    // The first checkpoint that covers every entry (signed when the deletion completed, as a
    // rule): the same receipt each time it is asked for.
    const checkpoint = this.signer.kept.covering(maxLeaf + 1) ?? this.signer.signNow();
    if (!checkpoint || checkpoint.size <= maxLeaf)
      throw new Error(`no signed checkpoint covers leaf ${maxLeaf} yet`);
    // Signed by another process further than this one's tree has folded.
    if (checkpoint.size > this.tree.size()) await this.runner.catchUp();
    const proofs = this.tree.inclusions(leaves as number[], checkpoint.size);
    return E.right({
      format: RECEIPT_FORMAT,
      threadId,
      rootThreadId,
      keyName: this.keyName,
      checkpoint: checkpoint.note,
      entries: records.map((r, i) => ({
        leafIndex: leaves[i]!,
        entry: entryText(storedRecordOf(r)),
        proof: proofs[i]!.map((h) => Buffer.from(h).toString('base64')),
      })),
    });
  }
}
