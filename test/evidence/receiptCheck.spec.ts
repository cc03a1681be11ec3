import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { streamOf } from '../../src/domain/ids.js';
import { fromBase64, toBase64 } from '../../src/evidence/bytes.js';
import { entryText } from '../../src/evidence/entry.js';
import type { Receipt, ReceiptEntry } from '../../src/evidence/receipt.js';
import { type ReceiptSummary, verifyReceipt } from '../../src/evidence/receiptCheck.js';
import type { VerifierKey } from '../../src/evidence/signedNote.js';
import { nodeEvidenceCrypto } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import {
  ACTORS,
  DATABASE_FILE,
  deletedSubtree,
  EvidenceLog,
  HISTORY_FILE,
  type LogEntry,
  newSigner,
  ROLLOUT_BYTES,
  rolloutPathOf,
  SubtreeScenario,
  type ThreadShape,
  unrelatedActivity,
  WAIVER_REASON,
  waiving,
} from '../support/evidenceLog.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

const verify = (log: EvidenceLog, receipt: unknown, key: VerifierKey = log.signer.key) =>
  verifyReceipt(nodeEvidenceCrypto, key, receipt);

const verified = (log: EvidenceLog, receipt: unknown): ReceiptSummary => {
  const r = verify(log, receipt);
  if (E.isLeft(r)) throw new Error(`expected the receipt to verify, refused: ${r.left}`);
  return r.right;
};

const refusal = (log: EvidenceLog, receipt: unknown, key?: VerifierKey): string => {
  const r = verify(log, receipt, key);
  if (E.isRight(r)) throw new Error('expected the receipt to be refused, it verified');
  return r.left;
};

/** An entry of a receipt read back: its fields, with data and metadata parsed. */
type EntryJson = {
  data: Record<string, unknown>;
  eventId: string;
  metadata: Record<string, unknown>;
  position: string;
  revision: string;
  stream: string;
  type: string;
};

const readEntry = (text: string): EntryJson => {
  const f = JSON.parse(text) as Record<string, string>;
  return {
    ...(f as unknown as EntryJson),
    data: JSON.parse(f.data!) as Record<string, unknown>,
    metadata: JSON.parse(f.metadata!) as Record<string, unknown>,
  };
};

/** The entry's text after `edit`, still in canonical form: only its proof can tell. */
const editedText = (text: string, edit: (e: EntryJson) => void): string => {
  const e = readEntry(text);
  edit(e);
  return entryText({
    streamId: e.stream,
    revision: BigInt(e.revision),
    id: e.eventId,
    type: e.type,
    position: BigInt(e.position),
    dataJson: JSON.stringify(e.data),
    metadataJson: JSON.stringify(e.metadata),
  });
};

const indexOf = (receipt: Receipt, pred: (e: EntryJson) => boolean): number => {
  const i = receipt.entries.findIndex((x) => pred(readEntry(x.entry)));
  if (i < 0) throw new Error('no such entry in the receipt');
  return i;
};

const isOf = (type: string, threadId?: ThreadId) => (e: EntryJson) =>
  e.type === type && (threadId === undefined || e.data.threadId === threadId);

const withEntry = (receipt: Receipt, i: number, entry: Partial<ReceiptEntry>): Receipt => ({
  ...receipt,
  entries: receipt.entries.map((x, j) => (j === i ? { ...x, ...entry } : x)),
});

const without = (receipt: Receipt, pred: (e: EntryJson) => boolean): Receipt => ({
  ...receipt,
  entries: receipt.entries.filter((x) => !pred(readEntry(x.entry))),
});

const flipByte = (b64: string, at: number): string => {
  const bytes = fromBase64(b64)!;
  bytes[at] = bytes[at]! ^ 0x01;
  return toBase64(bytes);
};

/** The log entry of an event, found by type and thread. */
const logged = (log: EvidenceLog, type: DomainEvent['type'], threadId: ThreadId): LogEntry => {
  const e = log.entries.find(
    (x) => x.record?.type === type && x.record.streamId === streamOf(threadId),
  );
  if (!e) throw new Error(`no ${type} of ${threadId} in the log`);
  return e;
};

/** Given a deleted subtree: root (Codex home) -> child (a waived step) -> grandchild; root -> second child. */
const givenADeletedSubtree = () => {
  const log = new EvidenceLog();
  unrelatedActivity(log);
  const s = new SubtreeScenario(log, {
    codexHome: true,
    children: [
      { waive: (key) => key.startsWith('rollout:') && !key.endsWith('.zst'), children: [{}] },
      { rollout: false },
    ],
  }).start();
  unrelatedActivity(log);
  s.tombstoneAll();
  unrelatedActivity(log);
  s.purgeAndCompleteAll();
  unrelatedActivity(log);
  const [root, child, grandchild, second] = s.ids as [ThreadId, ThreadId, ThreadId, ThreadId];
  return { log, s, root, child, grandchild, second, receipt: s.receipt() };
};

describe('given a deleted subtree, when its receipt is verified', () => {
  it('then a complete receipt verifies, and says who deleted it, when, why, and every thread and step', () => {
    const { log, s, root, child, grandchild, second, receipt } = givenADeletedSubtree();
    const summary = verified(log, receipt);

    const tombstone = logged(log, 'ThreadDeleteRequested', root);
    const deleted = logged(log, 'ThreadDeleted', root);
    expect(summary).toMatchObject({
      threadId: root,
      rootThreadId: root,
      requestedBy: ACTORS.deleter,
      requestId: s.requestId,
      reason: 'GDPR erasure request #4411',
      requestedAt: tombstone.metadata!.recordedAtMs,
      completedAt: deleted.metadata!.recordedAtMs,
      checkpoint: { origin: log.origin, size: log.size },
      keyName: log.signer.key.name,
      entries: receipt.entries.length,
    });
    expect(summary.threads.map((t) => [t.threadId, t.parentThreadId])).toEqual([
      [root, null],
      [child, root],
      [second, root],
      [grandchild, child],
    ]);

    const stepsOf = (id: ThreadId) => summary.threads.find((t) => t.threadId === id)!.steps;
    const rollout = rolloutPathOf(root);
    expect(stepsOf(root).map((x) => [x.key, x.outcome])).toEqual([
      ['codex-home', 'found'],
      [`rollout:${rollout}`, 'removed'],
      [`rollout:${rollout}.zst`, 'absent'],
      ['content', 'destroyed'],
      [`history:${HISTORY_FILE}`, 'removed'],
      [`database:${DATABASE_FILE}`, 'removed'],
    ]);
    const step = (id: ThreadId, key: string) => stepsOf(id).find((x) => x.key === key)!;
    expect(step(root, `rollout:${rollout}`)).toMatchObject({
      by: ACTORS.worker,
      detail: {
        path: rollout,
        outcome: 'removed',
        sizeBytes: ROLLOUT_BYTES,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(step(root, `database:${DATABASE_FILE}`).detail).toEqual({
      path: DATABASE_FILE,
      tables: [
        { table: 'threads', rows: 1 },
        { table: 'thread_spawn_edges', rows: 2 },
      ],
    });
    expect(step(root, `history:${HISTORY_FILE}`).detail).toEqual({
      path: HISTORY_FILE,
      linesRemoved: 3,
    });
    const waivedKey = `rollout:${rolloutPathOf(child)}`;
    const waived = logged(log, 'DeletionStepWaived', child);
    expect(step(child, waivedKey)).toEqual({
      key: waivedKey,
      outcome: 'waived',
      at: waived.metadata!.recordedAtMs,
      by: ACTORS.operator,
      position: String(waived.record!.position),
      detail: { step: waivedKey, reason: WAIVER_REASON },
    });
    expect(summary.threads.find((t) => t.threadId === child)!.failures).toBe(1);
    expect(stepsOf(second).map((x) => x.key)).toEqual(['content']);
    expect(stepsOf(grandchild).map((x) => x.key)).toEqual([
      `rollout:${rolloutPathOf(grandchild)}`,
      `rollout:${rolloutPathOf(grandchild)}.zst`,
      'content',
    ]);
  });

  it('then a receipt asked for a child of the subtree verifies too, naming that child', () => {
    const { log, s, root, child } = givenADeletedSubtree();
    const summary = verified(log, s.receipt({ threadId: child }));
    expect(summary.threadId).toBe(child);
    expect(summary.rootThreadId).toBe(root);
  });

  it('then a waived shredding of content shows as waived, by the operator, with its reason', () => {
    const log = new EvidenceLog();
    const s = deletedSubtree(log, { child: { waive: waiving('content') } });
    const child = s.ids[1]!;
    const steps = verified(log, s.receipt()).threads.find((t) => t.threadId === child)!.steps;
    expect(steps.find((x) => x.key === 'content')).toMatchObject({
      outcome: 'waived',
      by: ACTORS.operator,
      detail: { step: 'content', reason: WAIVER_REASON },
    });
  });

  it('then a receipt signed at a later checkpoint, after more of the log, verifies too', () => {
    const { log, s } = givenADeletedSubtree();
    const receipt = s.receipt({ size: log.size - 2 });
    unrelatedActivity(log);
    expect(verified(log, receipt).checkpoint.size).toBe(log.size - 4);
    expect(verified(log, s.receipt()).checkpoint.size).toBe(log.size);
  });

  it('then a spawn edge to a thread started under another parent is shown not a child by its ThreadStarted', () => {
    const log = new EvidenceLog();
    const s = new SubtreeScenario(log, { children: [{}] }).start();
    const elsewhere = newId();
    const stranger = newId();
    log.append({ type: 'ThreadStarted', data: startedData({ threadId: elsewhere }) });
    log.append({
      type: 'ThreadStarted',
      data: startedData({ threadId: stranger, parentThreadId: elsewhere }),
    });
    log.append({
      type: 'SubagentSpawned',
      data: { parentThreadId: s.root, childThreadId: stranger },
    });
    s.tombstoneAll().purgeAndCompleteAll();
    const receipt = log.receiptFor(s.root, [...s.ids, stranger], {
      include: (e) =>
        e.record!.type !== 'ThreadStarted'
          ? e.record!.type !== 'SubagentSpawned' && e.record!.type !== 'ThreadRenamed'
          : e.record!.streamId === streamOf(stranger),
    });
    expect(verified(log, receipt).threads.map((t) => t.threadId)).toEqual(s.ids);
    // Without it the edge is a child that was never deleted.
    expect(refusal(log, without(receipt, isOf('ThreadStarted')))).toMatch(
      new RegExp(`child ${stranger} of ${s.root}, committed by its tombstone, is not deleted`),
    );
    // A real child's ThreadStarted does not stand for its deletion.
    const child = s.ids[1]!;
    const asStarted = log.receiptFor(s.root, [...s.ids, stranger], {
      include: (e) =>
        e.record!.streamId === streamOf(child)
          ? e.record!.type === 'ThreadStarted'
          : e.record!.type === 'ThreadStarted'
            ? e.record!.streamId === streamOf(stranger)
            : !['SubagentSpawned', 'ThreadRenamed'].includes(e.record!.type),
    });
    expect(refusal(log, asStarted)).toMatch(
      new RegExp(`child ${child} of ${s.root} was started under it but has no tombstone`),
    );
  });
  it('then a spawn edge to a thread started elsewhere and deleted later, in its own deletion, is still not a child', () => {
    const log = new EvidenceLog();
    const stranger = newId();
    const other = new SubtreeScenario(log, { children: [{ id: stranger }] }, null).start();
    const s = new SubtreeScenario(log, { children: [{}] }).start();
    log.append({
      type: 'SubagentSpawned',
      data: { parentThreadId: s.root, childThreadId: stranger },
    });
    s.tombstoneAll().purgeAndCompleteAll();
    // The stranger's own parent is deleted after: its ThreadDeleted comes after the root's.
    other.tombstoneAll().purgeAndCompleteAll();
    const receipt = log.receiptFor(s.root, [...s.ids, stranger], {
      include: (e) =>
        e.record!.type === 'ThreadStarted'
          ? e.record!.streamId === streamOf(stranger)
          : !['SubagentSpawned', 'ThreadRenamed'].includes(e.record!.type),
    });
    expect(verified(log, receipt).threads.map((t) => t.threadId)).toEqual(s.ids);
  });

  it('then the failures counted are those the receipt carries: a lower bound, not a proof of none', () => {
    const { log, child, receipt } = givenADeletedSubtree();
    const failuresOf = (r: Receipt) =>
      verified(log, r).threads.find((t) => t.threadId === child)!.failures;
    expect(failuresOf(receipt)).toBe(1);
    expect(failuresOf(without(receipt, isOf('DeletionStepFailed')))).toBe(0);
  });
});

describe('given a deleted subtree, when its receipt or checkpoint was tampered with, then it is refused', () => {
  it('a byte of the checkpoint signature changed: the signature does not verify', () => {
    const { log, receipt } = givenADeletedSubtree();
    const [text, sig] = receipt.checkpoint.split('\n\n') as [string, string];
    const m = /^(\u2014 \S+ )(\S+)\n$/.exec(sig)!;
    const broken = `${text}\n\n${m[1]}${flipByte(m[2]!, 10)}\n`;
    expect(refusal(log, { ...receipt, checkpoint: broken })).toMatch(
      /the checkpoint: the signature of ledger\.test does not verify/,
    );
  });

  it('a checkpoint signed by another key of the same name: not signed by the key given', () => {
    const { log, s } = givenADeletedSubtree();
    const impostor = newSigner(log.signer.key.name);
    expect(refusal(log, s.receipt({ signer: impostor }))).toMatch(
      /the checkpoint: the note is not signed by ledger\.test/,
    );
  });

  it('a --key of another name than the receipt names: refused before anything else', () => {
    const { log, receipt } = givenADeletedSubtree();
    const other = newSigner('another.ledger');
    expect(refusal(log, receipt, other.key)).toMatch(
      /the receipt names key ledger\.test, not the key given \(another\.ledger\)/,
    );
    // Signed by that other key instead, and named so: still not the key the reviewer holds.
    const s2 = givenADeletedSubtree();
    expect(refusal(s2.log, s2.s.receipt({ signer: other }))).toMatch(
      /the receipt names key another\.ledger, not the key given \(ledger\.test\)/,
    );
  });

  it('the checkpoint text edited (its size, its root): the signature does not verify', () => {
    const { log, receipt } = givenADeletedSubtree();
    const [origin, size, root, ...rest] = receipt.checkpoint.split('\n');
    const smaller = [origin, String(Number(size) - 1), root, ...rest].join('\n');
    const otherRoot = [origin, size, flipByte(root!, 0), ...rest].join('\n');
    for (const checkpoint of [smaller, otherRoot])
      expect(refusal(log, { ...receipt, checkpoint })).toMatch(
        /the checkpoint: the signature of ledger\.test does not verify/,
      );
  });

  describe('an entry edited, field by field: not in the signed log', () => {
    const NOT_IN_LOG = /entry \d+ \(position \d+\): not in the signed log/;
    const edits: [string, string, (e: EntryJson) => boolean, (e: EntryJson) => void][] = [
      [
        'the actor of the tombstone',
        'ThreadDeleteRequested',
        () => true,
        (e) => {
          e.metadata.actor = 'someone-else';
        },
      ],
      [
        'the time of the tombstone',
        'ThreadDeleteRequested',
        () => true,
        (e) => {
          e.metadata.recordedAtMs = (e.metadata.recordedAtMs as number) - 86_400_000;
        },
      ],
      [
        'the reason of the tombstone',
        'ThreadDeleteRequested',
        (e) => e.data.reason !== null,
        (e) => {
          e.data.reason = 'routine cleanup';
        },
      ],
      [
        'the committed children',
        'ThreadDeleteRequested',
        (e) => e.data.reason !== null,
        (e) => {
          (e.data.commits as { children: string[] }).children = [];
        },
      ],
      [
        'the committed steps',
        'ThreadDeleteRequested',
        (e) => e.data.reason !== null,
        (e) => {
          (e.data.commits as { steps: string[] }).steps = ['content'];
        },
      ],
      [
        'a purged path',
        'RolloutPurged',
        (e) => e.data.outcome === 'removed',
        (e) => {
          e.data.path = '/elsewhere/rollout.jsonl';
        },
      ],
      [
        'a purged size',
        'RolloutPurged',
        (e) => e.data.outcome === 'removed',
        (e) => {
          e.data.sizeBytes = 1;
        },
      ],
      [
        'a purged hash',
        'RolloutPurged',
        (e) => e.data.outcome === 'removed',
        (e) => {
          e.data.sha256 = '0'.repeat(64);
        },
      ],
      [
        'a purged database table',
        'CodexDatabasePurged',
        () => true,
        (e) => {
          (e.data.tables as { rows: number }[])[0]!.rows = 0;
        },
      ],
      [
        'the type (a history purge as a session index purge)',
        'HistoryFilePurged',
        () => true,
        (e) => {
          e.type = 'SessionIndexPurged';
        },
      ],
      [
        'the outcome of a shred',
        'ThreadContentShredded',
        () => true,
        (e) => {
          e.data.outcome = 'absent';
        },
      ],
      [
        'the reason of a waiver',
        'DeletionStepWaived',
        () => true,
        (e) => {
          e.data.reason = 'not needed';
        },
      ],
      [
        'the actor of a waiver',
        'DeletionStepWaived',
        () => true,
        (e) => {
          e.metadata.actor = ACTORS.deleter;
        },
      ],
      [
        'a position',
        'ThreadDeleted',
        () => true,
        (e) => {
          e.position = String(BigInt(e.position) + 1n);
        },
      ],
      [
        'a revision',
        'ThreadDeleted',
        () => true,
        (e) => {
          e.revision = String(BigInt(e.revision) + 1n);
        },
      ],
      [
        'an event id',
        'ThreadDeleted',
        () => true,
        (e) => {
          e.eventId = '00000000-0000-4000-8000-000000000000';
        },
      ],
      [
        'the stream and thread (moved to another thread)',
        'ThreadDeleted',
        () => true,
        (e) => {
          const other = newId();
          e.stream = streamOf(other);
          e.data.threadId = other;
        },
      ],
    ];
    for (const [what, type, pick, edit] of edits)
      it(`${what}`, () => {
        const { log, receipt } = givenADeletedSubtree();
        const i = indexOf(receipt, (e) => e.type === type && pick(e));
        const entry = editedText(receipt.entries[i]!.entry, edit);
        expect(entry).not.toBe(receipt.entries[i]!.entry);
        expect(refusal(log, withEntry(receipt, i, { entry }))).toMatch(NOT_IN_LOG);
      });

    it('a leaf index changed to another leaf of the log', () => {
      const { log, receipt } = givenADeletedSubtree();
      const used = new Set(receipt.entries.map((e) => e.leafIndex));
      const free = [...Array(log.size).keys()].find((n) => !used.has(n))!;
      expect(refusal(log, withEntry(receipt, 3, { leafIndex: free }))).toMatch(NOT_IN_LOG);
    });

    it('a leaf index outside the tree', () => {
      const { log, receipt } = givenADeletedSubtree();
      expect(refusal(log, withEntry(receipt, 0, { leafIndex: log.size }))).toMatch(
        new RegExp(`entry 0: leaf ${log.size} is not in the checkpoint's tree of ${log.size}`),
      );
      expect(refusal(log, withEntry(receipt, 0, { leafIndex: 1.5 }))).toMatch(
        /entry 0: leaf 1\.5 is not in the checkpoint's tree/,
      );
    });

    it('a proof hash changed, removed or added', () => {
      const { log, receipt } = givenADeletedSubtree();
      const { proof } = receipt.entries[2]!;
      expect(proof.length).toBeGreaterThan(1);
      const proofs = [
        proof.map((h, j) => (j === 1 ? flipByte(h, 31) : h)),
        proof.slice(0, -1),
        proof.slice(1),
        [...proof, proof[0]!],
        [toBase64(new Uint8Array(32)), ...proof],
      ];
      for (const p of proofs)
        expect(refusal(log, withEntry(receipt, 2, { proof: p }))).toMatch(NOT_IN_LOG);
    });

    it('a proof hash that is not a SHA-256 hash in base64', () => {
      const { log, receipt } = givenADeletedSubtree();
      const { proof } = receipt.entries[2]!;
      for (const bad of ['not base64!', toBase64(new Uint8Array(31))])
        expect(refusal(log, withEntry(receipt, 2, { proof: [bad, ...proof.slice(1)] }))).toMatch(
          /its proof is not a list of base64 SHA-256 hashes/,
        );
    });
  });

  it('a step missing (a RolloutPurged removed): that step has no recorded purge', () => {
    const { log, root, receipt } = givenADeletedSubtree();
    const gone = without(
      receipt,
      (e) => isOf('RolloutPurged', root)(e) && e.data.outcome === 'removed',
    );
    expect(refusal(log, gone)).toMatch(
      new RegExp(
        `thread ${root} \\(tombstone at position \\d+\\): step rollout:${rolloutPathOf(root)} has no recorded purge or waiver before its ThreadDeleted`,
      ),
    );
  });

  it('a waiver missing: the waived step has no recorded purge or waiver', () => {
    const { log, child, receipt } = givenADeletedSubtree();
    expect(refusal(log, without(receipt, isOf('DeletionStepWaived')))).toMatch(
      new RegExp(`thread ${child} .*: step rollout:${rolloutPathOf(child)} has no recorded purge`),
    );
  });

  it('a step found by the inventory missing: the inventory commits to it', () => {
    const { log, root, receipt } = givenADeletedSubtree();
    expect(refusal(log, without(receipt, isOf('CodexDatabasePurged')))).toMatch(
      new RegExp(`thread ${root} .*: step database:${DATABASE_FILE} has no recorded purge`),
    );
    // And the inventory itself, committed by the tombstone of a thread from a Codex home.
    expect(refusal(log, without(receipt, isOf('CodexHomeInventoried')))).toMatch(
      /step codex-home has no recorded purge or waiver/,
    );
  });

  it('a child missing (all its entries removed): committed by its parent, not deleted', () => {
    const { log, root, child, grandchild, second, receipt } = givenADeletedSubtree();
    expect(
      refusal(
        log,
        without(receipt, (e) => e.data.threadId === second),
      ),
    ).toMatch(
      new RegExp(
        `child ${second} of ${root}, committed by its tombstone, is not deleted in the receipt`,
      ),
    );
    expect(
      refusal(
        log,
        without(receipt, (e) => e.data.threadId === grandchild),
      ),
    ).toMatch(
      new RegExp(`child ${grandchild} of ${child}, committed by its tombstone, is not deleted`),
    );
  });

  it('a ThreadDeleted missing: the deletion is not complete', () => {
    const { log, root, grandchild, receipt } = givenADeletedSubtree();
    expect(refusal(log, without(receipt, isOf('ThreadDeleted', root)))).toMatch(
      new RegExp(
        `thread ${root} \\(tombstone at position \\d+\\): no ThreadDeleted: its deletion is not complete`,
      ),
    );
    expect(refusal(log, without(receipt, isOf('ThreadDeleted', grandchild)))).toMatch(
      new RegExp(
        `child ${grandchild} of .*, committed by its tombstone, is not deleted in the receipt`,
      ),
    );
  });

  it('a tombstone missing: the root has none, or a child has none', () => {
    const { log, root, child, receipt } = givenADeletedSubtree();
    expect(refusal(log, without(receipt, isOf('ThreadDeleteRequested', root)))).toMatch(
      new RegExp(`the receipt has no tombstone of its root thread ${root}`),
    );
    expect(refusal(log, without(receipt, isOf('ThreadDeleteRequested', child)))).toMatch(
      new RegExp(`thread ${child} has no tombstone in the receipt`),
    );
  });

  it('a thread swapped in: the entries of an unrelated deleted thread added', () => {
    const { log, s, receipt } = givenADeletedSubtree();
    const other = new SubtreeScenario(log, {}).deleteAll();
    const mixed = log.receiptFor(s.root, [...s.ids, other.root]);
    expect(mixed.entries.length).toBeGreaterThan(receipt.entries.length);
    expect(refusal(log, mixed)).toMatch(
      new RegExp(`thread ${other.root} is in the receipt but not in the subtree of ${s.root}`),
    );
  });

  it("a thread swapped in: a child's entries replaced by another deleted thread's", () => {
    const { log, s, root, second } = givenADeletedSubtree();
    const other = new SubtreeScenario(log, {}).deleteAll();
    const swapped = log.receiptFor(s.root, [...s.ids.filter((id) => id !== second), other.root]);
    expect(refusal(log, swapped)).toMatch(
      new RegExp(`child ${second} of ${root}, committed by its tombstone, is not deleted`),
    );
  });

  it('a receipt of a part of the subtree proves that part, and says which deletion it was part of', () => {
    const { log, s, child } = givenADeletedSubtree();
    const part = unwrap(verify(log, log.receiptFor(child, s.subtreeOf(child))));
    expect(part.rootThreadId).toBe(child);
    expect(part.partOf).toBe(s.root);
    expect(part.threads.map((t) => t.threadId).sort()).toEqual([...s.subtreeOf(child)].sort());
    expect(unwrap(verify(log, s.receipt())).partOf).toBeNull();
  });

  it('a receipt asked for a thread outside the subtree', () => {
    const { log, s } = givenADeletedSubtree();
    const other = new SubtreeScenario(log, {}).deleteAll();
    expect(refusal(log, s.receipt({ threadId: other.root }))).toMatch(
      new RegExp(`the receipt's thread ${other.root} is not in the subtree of ${s.root}`),
    );
  });

  it('a parent recorded deleted before its child: refused', () => {
    const log = new EvidenceLog();
    const s = new SubtreeScenario(log, { children: [{}] }).start().tombstoneAll();
    const [root, child] = s.ids as [ThreadId, ThreadId];
    for (const id of [root, child]) {
      s.purge(id);
      s.complete(id);
    }
    expect(refusal(log, s.receipt())).toMatch(
      new RegExp(`thread ${root} was recorded deleted before its child ${child}`),
    );
  });

  it('a tombstone that commits to nothing (before tombstones did): completeness cannot be proven', () => {
    for (const which of [0, 1]) {
      const log = new EvidenceLog();
      const s = new SubtreeScenario(log, { children: [{}] }).start();
      const id = s.ids[which]!;
      for (const t of s.ids) s.tombstone(t, t === id ? null : undefined);
      s.purgeAndCompleteAll();
      expect(refusal(log, s.receipt())).toMatch(
        new RegExp(
          `thread ${id} \\(tombstone at position \\d+\\): its tombstone commits to nothing .*completeness cannot be proven`,
        ),
      );
    }
  });

  it('a step settled only after its ThreadDeleted: not settled for the receipt', () => {
    const log = new EvidenceLog();
    const s = new SubtreeScenario(log, { children: [{}] }).start().tombstoneAll();
    const [root, child] = s.ids as [ThreadId, ThreadId];
    s.purge(child, new Set(['content']));
    s.complete(child);
    s.settle(child, { kind: 'ShredContent' });
    s.purge(root);
    s.complete(root);
    expect(refusal(log, s.receipt())).toMatch(
      new RegExp(
        `thread ${child} .*: step content has no recorded purge or waiver before its ThreadDeleted`,
      ),
    );
  });

  it('a step settled before the tombstone does not count for the deletion', () => {
    const log = new EvidenceLog();
    const s = new SubtreeScenario(log, {}).start();
    s.settle(s.root, { kind: 'ShredContent' });
    s.tombstoneAll();
    const steps = s.purge(s.root, new Set(['content']));
    s.complete(s.root);
    expect(steps).not.toContain('content');
    expect(refusal(log, s.receipt())).toMatch(/step content has no recorded purge or waiver/);
  });

  it('an entry not in its canonical form (though in the signed log): refused as such', () => {
    const { log, s, receipt } = givenADeletedSubtree();
    const text = receipt.entries[1]!.entry;
    const spaced = text.replace('","eventId":', '", "eventId":');
    expect(JSON.parse(spaced)).toEqual(JSON.parse(text));
    const leaf = log.appendText(spaced);
    const signed = s.receipt();
    const receiptWith: Receipt = {
      ...signed,
      entries: [
        ...signed.entries,
        {
          leafIndex: leaf.leafIndex,
          entry: spaced,
          proof: log.prove(leaf.leafIndex).map(toBase64),
        },
      ],
    };
    expect(refusal(log, receiptWith)).toMatch(
      new RegExp(`entry ${signed.entries.length} is not in its canonical form`),
    );
    // The same edit in place, at the entry's own leaf.
    expect(refusal(log, withEntry(receipt, 1, { entry: spaced }))).toMatch(
      /entry 1 is not in its canonical form/,
    );
  });

  it('an entry that is not an entry at all', () => {
    const { log, receipt } = givenADeletedSubtree();
    expect(refusal(log, withEntry(receipt, 0, { entry: 'hello' }))).toMatch(/entry 0 is not JSON/);
    expect(refusal(log, withEntry(receipt, 0, { entry: '{"data":"{}"}' }))).toMatch(
      /entry 0 is not an entry/,
    );
  });

  it('a duplicate leaf: the same entry twice', () => {
    const { log, receipt } = givenADeletedSubtree();
    const twice = { ...receipt, entries: [...receipt.entries, receipt.entries[4]!] };
    expect(refusal(log, twice)).toMatch(
      new RegExp(
        `entry ${receipt.entries.length}: leaf ${receipt.entries[4]!.leafIndex} appears twice`,
      ),
    );
  });

  it('entries out of log order by leaf are accepted as a set, in any order of the list', () => {
    const { log, receipt } = givenADeletedSubtree();
    expect(verified(log, { ...receipt, entries: [...receipt.entries].reverse() }).entries).toBe(
      receipt.entries.length,
    );
  });

  it('not shaped like a receipt: a field missing, another format, a wrong type', () => {
    const { log, receipt } = givenADeletedSubtree();
    const { checkpoint: _, ...noCheckpoint } = receipt;
    const cases: unknown[] = [
      noCheckpoint,
      { ...receipt, format: 'thread-ledger/deletion-receipt/v2' },
      { ...receipt, entries: 'all of them' },
      { ...receipt, entries: [{ leafIndex: '3', entry: 'x', proof: [] }] },
      'a receipt',
      null,
    ];
    for (const c of cases) expect(refusal(log, c)).toMatch(/^not a deletion receipt: /);
  });

  it('an event type with no place in a receipt (a rename, with the name sealed or not)', () => {
    const log = new EvidenceLog();
    const s = new SubtreeScenario(log, {}).start();
    log.append({
      type: 'ThreadRenamed',
      data: { threadId: s.root, name: 'my secret plans', indexedIn: null },
    });
    s.tombstoneAll().purgeAndCompleteAll();
    const receipt = log.receiptFor(s.root, s.ids, {
      include: (e) => e.record!.type !== 'ThreadStarted',
    });
    expect(refusal(log, receipt)).toMatch(
      /entry 0 \(position \d+\): a ThreadRenamed event has no place in a deletion receipt/,
    );
  });
});

// ---- The property: for random subtrees, the honest receipt verifies, and no tampering does ----

/** A subtree of n threads: each thread's parent is one before it; random artifacts and waivers. */
const arbSubtree = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    parents: fc.tuple(...[...Array(n).keys()].map((i) => fc.nat({ max: Math.max(0, i - 1) }))),
    threads: fc.array(
      fc.record({
        rollout: fc.boolean(),
        codexHome: fc.boolean(),
        waiveMask: fc.nat({ max: 0xff }),
      }),
      { minLength: n, maxLength: n },
    ),
    noise: fc.nat({ max: 3 }),
  }),
);

const shapeOf = (a: {
  parents: number[];
  threads: { rollout: boolean; codexHome: boolean; waiveMask: number }[];
}): ThreadShape => {
  const shapes = a.threads.map((t): ThreadShape & { children: ThreadShape[] } => ({
    rollout: t.rollout,
    codexHome: t.codexHome,
    waive: (_key, i) => ((t.waiveMask >> i) & 1) === 1,
    children: [],
  }));
  for (let i = 1; i < shapes.length; i++) shapes[a.parents[i]!]!.children.push(shapes[i]!);
  return shapes[0]!;
};

/** Entries a receipt cannot do without: all but a step's failures. */
const isRequired = (e: ReceiptEntry): boolean => readEntry(e.entry).type !== 'DeletionStepFailed';

describe('property: for random deleted subtrees (1-12 threads, random steps and waivers)', () => {
  it('the honest receipt verifies; without any required entry, or with any byte of an entry changed, it is refused', () => {
    fc.assert(
      fc.property(
        arbSubtree,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 0xff }),
        (a, removePick, entryPick, bytePick, mask) => {
          const log = new EvidenceLog();
          for (let i = 0; i < a.noise; i++) unrelatedActivity(log);
          const s = new SubtreeScenario(log, shapeOf(a)).start();
          unrelatedActivity(log);
          s.tombstoneAll().purgeAndCompleteAll();
          const receipt = s.receipt();
          const summary = verified(log, receipt);
          expect(new Set(summary.threads.map((t) => t.threadId))).toEqual(new Set(s.ids));

          const required = receipt.entries.filter(isRequired);
          const gone = required[removePick % required.length]!;
          const missing = { ...receipt, entries: receipt.entries.filter((e) => e !== gone) };
          expect(E.isLeft(verify(log, missing)), `without ${gone.entry}`).toBe(true);

          const i = entryPick % receipt.entries.length;
          const bytes = Buffer.from(receipt.entries[i]!.entry, 'utf8');
          const at = bytePick % bytes.length;
          bytes[at] = bytes[at]! ^ mask;
          const flipped = new TextDecoder().decode(bytes);
          expect(E.isLeft(verify(log, withEntry(receipt, i, { entry: flipped })))).toBe(true);
        },
      ),
      { numRuns: 200, interruptAfterTimeLimit: 2_000 },
    );
  });
});
