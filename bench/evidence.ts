// The evidence section of `npm run bench` (issue 13's targets): what the Merkle tree costs an
// HTTP create, how long a 200-thread subtree's receipt takes, how fast the log is verified.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { CheckpointSigner } from '../src/app/evidence/checkpointSigner.js';
import { verifyLog } from '../src/app/evidence/logVerifier.js';
import type { Ledger } from '../src/app/ledger.js';
import type { ThreadId } from '../src/domain/ids.js';
import { verifyReceipt } from '../src/evidence/receiptCheck.js';
import { parseVerifierKey } from '../src/evidence/signedNote.js';
import { CheckpointStore } from '../src/io/evidence/checkpointStore.js';
import { nodeEvidenceCrypto } from '../src/io/evidence/nodeEvidenceCrypto.js';
import { createSigningKey } from '../src/io/evidence/signingKey.js';
import { openLedger } from '../src/main/openLedger.js';
import { evidenceTreeProjection } from '../src/projections/evidenceTree.js';
import { EvidenceTreeReader } from '../src/projections/evidenceTreeReader.js';
import { LOG_PAGE } from '../src/projections/logCatchUp.js';
import { foldBatch } from '../src/projections/projection.js';
import { openReadModels } from '../src/projections/readModels.js';
import type { StoredEvent } from '../src/store/eventCodec.js';
import type { RecordedEvent } from '../src/store/eventStore.js';
import { ctx, growLog, started } from './fixtures.js';
import { benchHttp, type HttpCreateFigures } from './http.js';
import { ms, quantiles } from './machine.js';
import { mainProfile, sharesInWindow } from './serverProfile.js';

type Out = (line: string) => void;
type Opened = Ledger & { dir: string; rollouts: string };

const open = (root: string, name: string): Opened => {
  const dir = join(root, name);
  const rollouts = join(dir, 'sessions');
  mkdirSync(rollouts, { recursive: true });
  return Object.assign(openLedger({ dataDir: join(dir, 'data'), rolloutRoots: [rollouts] }), {
    dir,
    rollouts,
  });
};

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const us = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** The whole log as `readAll` gives it, and decoded as the runner decodes it. */
const readLog = async (l: Ledger) => {
  const recorded: RecordedEvent[] = [];
  const decoded: StoredEvent[] = [];
  for (let after: bigint | null = null; ; ) {
    const page = await l.store.readAll({ after, maxCount: LOG_PAGE });
    if (page.length === 0) break;
    recorded.push(...page);
    decoded.push(...(await l.codec.decodeMany(page)));
    after = page[page.length - 1]!.position;
  }
  return { recorded, decoded };
};

/**
 * Folds the events through the evidence projection alone, on a fresh read.db (the real one's
 * pragmas), `perTransaction` events a transaction as the runner folds them; after each
 * `signEvery` events (if given) a checkpoint is signed, timed apart. Returns µs per event folded
 * and the signing times.
 */
const foldTree = (
  dir: string,
  log: { recorded: RecordedEvent[]; decoded: StoredEvent[] },
  perTransaction: number,
  signEvery?: number,
) => {
  const name = `tree-${perTransaction}-${signEvery ?? 0}`;
  const db = openReadModels(join(dir, `${name}.db`), [evidenceTreeProjection]);
  const apply = evidenceTreeProjection.handler(db, '');
  const txn = db.transaction((from: number, to: number) =>
    foldBatch(apply, log.decoded.slice(from, to), log.recorded.slice(from, to)),
  );
  const kept = new CheckpointStore(join(dir, `${name}-evidence.db`));
  const signer = new CheckpointSigner(
    new EvidenceTreeReader(db),
    kept,
    createSigningKey(join(dir, `${name}.key`)),
    Date.now,
  );
  const signs: number[] = [];
  let folding = 0;
  const n = log.recorded.length;
  for (let i = 0; i < n; i += perTransaction) {
    const t0 = performance.now();
    txn.immediate(i, Math.min(n, i + perTransaction));
    folding += performance.now() - t0;
    const end = Math.min(n, i + perTransaction);
    if (signEvery && (end % signEvery === 0 || end === n)) {
      const s0 = performance.now();
      signer.signNow();
      signs.push(performance.now() - s0);
    }
  }
  kept.close();
  db.close();
  return { usPerEvent: (folding * 1000) / n, signs };
};

/** (1) What the tree costs per event, set against an HTTP create of the same run. */
const treeCost = async (out: Out, l: Opened, http: HttpCreateFigures) => {
  const log = await readLog(l);
  const n = log.recorded.length;
  const bulk = foldTree(l.dir, log, LOG_PAGE);
  const live = foldTree(l.dir, log, 10);
  const signed = foldTree(l.dir, log, 1000, 1000);
  const sign = quantiles(signed.signs);
  const signPerEvent = (sign.p50 * 1000) / 1000;
  out(
    `| evidence tree alone: fold ${fmt(n)} recorded events (lifecycle mix) on a fresh read.db, transactions of ${fmt(LOG_PAGE)} (the runner's catch-up batch) | ${us(bulk.usPerEvent)} µs/event (${fmt(1e6 / bulk.usPerEvent)} events/s) |`,
  );
  out(
    `| the same, transactions of 10 (a live batch; the commit is counted whole, though the runner shares it with the other projections) | ${us(live.usPerEvent)} µs/event |`,
  );
  out(
    `| sign a checkpoint (\`signNow\`: root, check against the last, Ed25519, kept with a full sync) every 1,000 events, tree up to ${fmt(n)} | median ${ms(sign.p50)} ms (max ${ms(sign.max)}) of ${signed.signs.length} = ${us(signPerEvent)} µs/event amortized |`,
  );
  const createUs = 1e6 / http.createsPerSecond;
  for (const [label, fold] of [
    [`transactions of ${fmt(LOG_PAGE)}`, bulk.usPerEvent],
    ['transactions of 10', live.usPerEvent],
  ] as const) {
    const perCreate = (fold + signPerEvent) * http.eventsPerCreate;
    const cpu = http.cpuMicrosPerCreate;
    const ofCpu =
      cpu === null
        ? ''
        : `, ${((100 * perCreate) / cpu).toFixed(1)}% of the server's CPU a create (${fmt(cpu)} µs)`;
    out(
      `| tree + signing per HTTP create (${label}; ${http.eventsPerCreate.toFixed(2)} events a create, ${fmt(http.createsPerSecond)} creates/s = ${fmt(createUs)} µs a create) | ${us(perCreate)} µs = ${((100 * perCreate) / createUs).toFixed(1)}% of an HTTP create${ofCpu} (target at most 5%) |`,
    );
  }
};

/**
 * (1c) The tree in the running server: the create run again with the server profiled, and the
 * share of its main thread's busy time under the tree's fold and the checkpoint signer. The
 * fold in a live server (small batches, a read.db shared with every read model and its WAL)
 * costs more per event than on its own above.
 */
const treeInServer = async (out: Out, quick: boolean, root: string) => {
  const dir = join(root, 'serve-profile');
  mkdirSync(dir, { recursive: true });
  await benchHttp(out, quick, { label: ' with the server profiled', env: {} }, dir);
  const { busyMs, share } = sharesInWindow(
    mainProfile(dir),
    /^start .*app\/threadLifecycle\.ts$/,
    /^delete .*app\/threadLifecycle\.ts$/,
    {
      tree: /projections\/evidenceTree\.ts$/,
      signing: /app\/evidence\/checkpointSigner\.ts$/,
      both: /(projections\/evidenceTree|app\/evidence\/checkpointSigner)\.ts$/,
    },
  );
  const pct = (x: number | undefined) => `${(100 * (x ?? 0)).toFixed(1)}%`;
  out(
    `| the tree in the running server: share of its main thread's busy time in the create run (${fmt(busyMs)} ms busy), from its CPU profile | fold ${pct(share['tree'])}, signing ${pct(share['signing'])}: together ${pct(share['both'])} (target at most 5%) |`,
  );
};

/** (2) A deleted 200-thread subtree's receipt: built, then verified offline. */
const receipt = async (out: Out, l: Opened) => {
  const size = 200;
  const ids: ThreadId[] = [];
  for (let i = 0; i < size; i++) {
    const parent = i === 0 ? null : ids[Math.floor((i - 1) / 2)]!; // a binary tree, as in the delete section
    const t = started(i, parent ? { sourceKind: 'subAgentThreadSpawn' } : {});
    const path = join(l.rollouts, `rollout-receipt-${i}-${t.threadId}.jsonl`);
    writeFileSync(
      path,
      `${'{"type":"response_item","payload":{"text":"some content of the conversation"}}\n'.repeat(30)}`,
    );
    t.rolloutPath = path;
    ids.push(t.threadId);
    const r = parent ? await l.lifecycle.spawn(parent, t, ctx) : await l.lifecycle.start(t, ctx);
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  }
  await l.runner.catchUp();
  const d = await l.lifecycle.delete(ids[0]!, null, ctx);
  if (E.isLeft(d) || d.right.threadIds.length !== size)
    throw new Error('delete did not cover the subtree');
  while ((await l.repo.load(ids[0]!)).state.status !== 'deleted') await l.worker.runPass();

  const build = async () => {
    const t0 = performance.now();
    const r = await l.evidence.receipts.build(ids[0]!);
    const elapsed = performance.now() - t0;
    if (E.isLeft(r)) throw new Error(`no receipt: ${JSON.stringify(r.left)}`);
    return { receipt: r.right, elapsed };
  };
  // The first call catches the tree up to the last ThreadDeleted and signs a checkpoint over it.
  const first = await build();
  const builds: number[] = [];
  for (let i = 0; i < 20; i++) builds.push((await build()).elapsed);
  const text = JSON.stringify(first.receipt);
  const key = parseVerifierKey(nodeEvidenceCrypto, l.evidence.key.verifierText);
  if (typeof key === 'string') throw new Error(key);
  const checks: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    const v = verifyReceipt(nodeEvidenceCrypto, key, JSON.parse(text));
    checks.push(performance.now() - t0);
    if (E.isLeft(v)) throw new Error(`the receipt does not verify: ${v.left}`);
  }
  const b = quantiles(builds);
  const c = quantiles(checks.slice(1));
  out(
    `| receipt of a deleted ${size}-thread subtree (${first.receipt.entries.length.toLocaleString('en')} entries, ${fmt(text.length / 1024)} KiB of JSON, tree of ${fmt(l.evidence.tree.size())} leaves): \`receipts.build\` | first ${ms(first.elapsed)} ms (catch-up and a checkpoint signed), then median ${ms(b.p50)} ms (max ${ms(b.max)}) of 20 (target under 100 ms) |`,
  );
  out(
    `| the same receipt checked offline (\`verifyReceipt\`, parsing included) | first ${ms(checks[0]!)} ms, then median ${ms(c.p50)} ms (max ${ms(c.max)}) of 20 |`,
  );
};

/** (3) A log of `total` events under signed checkpoints, recomputed as `verify` recomputes it. */
const verification = async (out: Out, l: Opened, total: number) => {
  await growLog(l, [], 0, total, false);
  let t0 = performance.now();
  const applied = await l.runner.catchUp();
  const foldS = (performance.now() - t0) / 1000;
  l.evidence.signer.signNow();
  const checkpoints = [...l.evidence.signer.kept.all()];
  out(
    `| a log of ${fmt(total)} events (lifecycle mix) folded by the runner, every projection and the tree, checkpoints signed as it goes | ${fmt(applied / foldS)} events/s (${foldS.toFixed(1)} s), ${fmt(checkpoints.length)} checkpoints kept |`,
  );
  // What reading alone costs `verify`: every entry, page by page as it reads them, nothing hashed.
  t0 = performance.now();
  let read = 0;
  for await (const page of l.store.entryPages(null)) read += page.length;
  const readS = (performance.now() - t0) / 1000;
  out(
    `| the log read as \`verify\` reads it (\`entryPages\`: SQLite builds each entry, a worker thread reads ahead), nothing hashed | ${fmt(read / readS)} events/s (${readS.toFixed(2)} s) |`,
  );
  // `verify` itself: every kept checkpoint's signature, its root against the log recomputed.
  const key = parseVerifierKey(nodeEvidenceCrypto, l.evidence.key.verifierText);
  if (typeof key === 'string') throw new Error(key);
  t0 = performance.now();
  const v = await verifyLog({
    store: l.store,
    key,
    checkpoints: [...l.evidence.signer.kept.all()].map((c) => ({
      label: `checkpoint ${c.size}`,
      note: c.note,
    })),
    tree: l.evidence.tree,
  });
  const verifyS = (performance.now() - t0) / 1000;
  if (!v.ok || v.events !== total || v.uncovered !== 0)
    throw new Error(
      `verify did not pass the whole log: ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`,
    );
  out(
    `| \`verify\` (\`verifyLog\`: the tree recomputed from the log, held to every one of the ${fmt(v.checkpoints)} kept checkpoints, signatures checked) over ${fmt(v.events)} events | ${fmt(v.events / verifyS)} events/s (${verifyS.toFixed(2)} s) (target at least 200,000 events/s) |`,
  );
};

export const benchEvidence = async (
  out: Out,
  quick: boolean,
  root: string,
  http: HttpCreateFigures,
): Promise<void> => {
  const l = open(root, 'evidence');
  try {
    await growLog(l, [], 0, quick ? 20_000 : 100_000, false);
    await l.runner.catchUp();
    await treeCost(out, l, http);
    await treeInServer(out, quick, root);
    await receipt(out, l);
  } finally {
    await l.close();
  }
  const v = open(root, 'verify');
  try {
    await verification(out, v, quick ? 200_000 : 1_000_000);
  } finally {
    await v.close();
  }
};
