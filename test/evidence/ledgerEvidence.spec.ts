import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/evidence/bytes.js';
import { parseCheckpoint } from '../../src/evidence/checkpoint.js';
import { entryText } from '../../src/evidence/entry.js';
import { checkConsistency, checkInclusion } from '../../src/evidence/merkle.js';
import { verifyReceipt } from '../../src/evidence/receiptCheck.js';
import { openNote, parseVerifierKey } from '../../src/evidence/signedNote.js';
import { nodeEvidenceCrypto, nodeTreeHasher } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import { storedRecordOf } from '../../src/store/storedRecord.js';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { unwrap } from '../support/unwrap.js';

describe.each(['sqlite', 'esdb'] as const)('the evidence over the log (%s store)', (backend) => {
  const f = useLedgerFixture({ backend });

  it('makes its signing key on first start, mode 0600, and signs checkpoints a verifier key opens', async () => {
    const ev = f.ledger.evidence;
    expect(ev.keyCreated).toBe(true);
    expect(statSync(ev.keyFile).mode & 0o777).toBe(0o600);
    await f.root();
    await f.ledger.runner.catchUp();
    const kept = ev.signer.signNow()!;
    const key = parseVerifierKey(nodeEvidenceCrypto, ev.key.verifierText);
    if (typeof key === 'string') throw new Error(key);
    const opened = openNote(nodeEvidenceCrypto, kept.note, key);
    if (typeof opened === 'string') throw new Error(opened);
    const cp = parseCheckpoint(opened.text);
    if (typeof cp === 'string') throw new Error(cp);
    expect(cp.origin).toBe(key.name);
    expect(cp.size).toBe(ev.tree.size());
    expect(Buffer.from(cp.root)).toEqual(Buffer.from(ev.tree.root(cp.size)));
  });

  it('holds one leaf per event in log order, the event as stored, each proven under the root', async () => {
    await f.tree(5, 2);
    await f.ledger.runner.catchUp();
    const log = await f.ledger.store.readAll({ after: null, maxCount: 1000 });
    const tree = f.ledger.evidence.tree;
    expect(tree.size()).toBe(log.length);
    const root = tree.root(log.length);
    log.forEach((r, leaf) => {
      expect(tree.leafOf(r.position)).toBe(leaf);
      const leafHash = nodeTreeHasher.leaf(utf8(entryText(storedRecordOf(r))));
      expect(
        checkInclusion(
          nodeTreeHasher,
          tree.inclusion(leaf, log.length),
          log.length,
          root,
          leaf,
          leafHash,
        ),
      ).toBe(true);
    });
    for (let from = 1; from < log.length; from++)
      expect(
        checkConsistency(
          nodeTreeHasher,
          tree.consistency(from, log.length),
          log.length,
          root,
          from,
          tree.root(from),
        ),
      ).toBe(true);
  });

  it('gives a receipt of a deleted subtree that verifies offline, and none before the deletion completes', async () => {
    const { root, all } = await f.tree(7, 2);
    const child = all[1]!;
    expect(await f.ledger.evidence.receipts.build(child)).toEqual(
      E.left({ kind: 'DeletionNotComplete', threadId: child, rootThreadId: child, status: 'live' }),
    );
    unwrap(await f.ledger.lifecycle.delete(root, 'user asked', { ...ctx, actor: 'dpo' }));
    expect(await f.ledger.evidence.receipts.build(root)).toMatchObject(
      E.left({ kind: 'DeletionNotComplete', status: 'deleting' }),
    );
    await f.ledger.worker.runPass();
    const receipt = unwrap(await f.ledger.evidence.receipts.build(child));
    const key = parseVerifierKey(nodeEvidenceCrypto, f.ledger.evidence.key.verifierText);
    if (typeof key === 'string') throw new Error(key);
    const summary = unwrap(
      verifyReceipt(nodeEvidenceCrypto, key, JSON.parse(JSON.stringify(receipt))),
    );
    expect(summary.rootThreadId).toBe(root);
    expect(summary.threadId).toBe(child);
    expect(summary.requestedBy).toBe('dpo');
    expect(summary.reason).toBe('user asked');
    expect(new Set(summary.threads.map((t) => t.threadId))).toEqual(new Set(all));
    for (const t of summary.threads) {
      expect(t.steps.map((s) => s.key).sort()).toEqual(
        [
          'content',
          `rollout:${f.rolloutOf(t.threadId as never)}`,
          `rollout:${f.rolloutOf(t.threadId as never)}.zst`,
        ].sort(),
      );
    }
    // Asked again, after more appends and checkpoints: the same receipt, under the same checkpoint.
    await f.root();
    await f.ledger.runner.catchUp();
    f.ledger.evidence.signer.signNow();
    expect(unwrap(await f.ledger.evidence.receipts.build(child))).toEqual(receipt);
    // No content in clear: the receipt holds no name or preview.
    expect(JSON.stringify(receipt)).not.toMatch(/"(name|preview)"/);
    expect(existsSync(join(f.dir, 'data', 'evidence.db'))).toBe(true);
  });
});
