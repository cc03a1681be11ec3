import type { FastifyPluginAsync } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type { NoReceipt } from '../../../app/evidence/receiptBuilder.js';
import type { Ledger } from '../../../app/ledger.js';
import { toBase64, toHex } from '../../../evidence/bytes.js';
import { entryText } from '../../../evidence/entry.js';
import { Receipt } from '../../../evidence/receipt.js';
import { checkpointOnWire, hashesOnWire, verificationOnWire } from '../evidenceOnWire.js';
import * as S from '../evidenceShapes.js';
import { invalid, problem } from '../problem.js';
import { ThreadIdPath } from '../requests.js';
import { type RouteSteps, routesOn } from '../route.js';

/** The most checkpoints one page holds. */
const MAX_PAGE = 1000;
/** A log position: a decimal without leading zeros, as `/v1` writes them. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** The largest position the tree can hold (SQLite's INTEGER). */
const MAX_POSITION = 2n ** 63n - 1n;
const NOTE_TYPE = 'text/plain; charset=utf-8';

export type EvidenceOptions = { readonly steps: RouteSteps } & Pick<
  Ledger,
  'evidence' | 'store' | 'runner'
>;

const badParam = (field: string, reason: string) =>
  invalid(`${field} ${reason}`, [{ field, reason }]);

const refusal = (no: NoReceipt) => {
  if (no.kind === 'ThreadNotFound')
    return problem('thread-not-found', 404, 'Thread Not Found', `thread ${no.threadId} not found`);
  const { threadId, rootThreadId, status } = no;
  const root = rootThreadId === threadId ? `thread ${threadId}` : `its root ${rootThreadId}`;
  const detail =
    status === 'live'
      ? `thread ${threadId} is not deleted: ${root} is live`
      : `the deletion of thread ${threadId} is not complete: ${root} is still being deleted`;
  return problem('deletion-not-complete', 409, 'Deletion Not Complete', detail, {
    threadId,
    rootThreadId,
    rootStatus: status,
  });
};

/**
 * The evidence of `/v1`, for a reviewer who trusts nothing but the ledger's key: the key, the
 * signed checkpoints, inclusion and consistency proofs over the tree of the log, and deletion
 * receipts that verify offline (src/evidence/receiptCheck.ts).
 */
export const evidence: FastifyPluginAsync<EvidenceOptions> = async (app, opts) => {
  const { tree, signer, key, receipts } = opts.evidence;
  const { store, runner } = opts;
  const route = routesOn(app, opts.steps);
  const audits = { role: 'auditor', tags: ['evidence'] } as const;

  /** The tree's size, once the read models have caught up if it is short of `atLeast`. */
  const treeSize = async (atLeast: number): Promise<number> => {
    if (tree.size() < atLeast) await runner.catchUp();
    return tree.size();
  };

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/key',
    summary: 'The verifier key of the signed checkpoints',
    description:
      'The Ed25519 key every checkpoint and receipt is signed with, as a C2SP verifier key ' +
      '(`<name>+<key id hex>+<base64 key>`, the format of Go’s `golang.org/x/mod/sumdb/note`). ' +
      'Get it once, out of band if you can, and keep it: a reviewer trusts it and nothing else.',
    responses: { 200: S.EvidenceKey },
    handler: async () => ({
      status: 200,
      body: {
        verifierKey: key.verifierText,
        keyName: key.verifier.name,
        keyId: toHex(key.verifier.keyId),
        algorithm: 'Ed25519',
      },
    }),
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/checkpoint',
    summary: 'The latest signed checkpoint',
    description:
      'The latest checkpoint the ledger signed, exactly as signed: a C2SP tlog-checkpoint ' +
      '(origin: the key’s name, tree size, base64 root hash) in a C2SP signed note. Open it with ' +
      'the verifier key (`GET /v1/evidence/key`). Checkpoints are signed as the log grows (at ' +
      'least every second of appends), when a deletion completes, and here if none is yet.',
    problems: { 404: 'The log is empty: nothing is signed yet (`.../problems/no-checkpoint`)' },
    responses: {
      200: { mediaType: NOTE_TYPE, description: 'The signed note', schema: { type: 'string' } },
    },
    handler: async () => {
      await treeSize(1);
      const latest = signer.kept.latest() ?? signer.signNow();
      if (!latest)
        throw problem('no-checkpoint', 404, 'No Checkpoint', 'the log is empty: nothing is signed');
      return { status: 200, body: latest.note, headers: { 'content-type': NOTE_TYPE } };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/verification',
    summary: 'The last verification of the log against its signed checkpoints',
    description:
      'When the log was last recomputed into the evidence tree and held to every kept signed ' +
      'checkpoint, and how it went: `ok`, the events read, the checkpoints checked, the largest ' +
      'size a signature covers, and on a contradiction its `reason` (naming the first position ' +
      'that differs when it can). `by`: `serve` (which verifies at start and every 10 minutes) ' +
      'or `cli` (`thread-ledger verify`). All null, counts 0, before any verification.',
    responses: { 200: S.LogVerificationOnWire },
    handler: async () => ({
      status: 200,
      body: verificationOnWire(signer.kept.verifications.latest()),
    }),
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/checkpoints',
    summary: 'Every signed checkpoint, smallest tree first',
    description:
      'Every checkpoint the ledger ever signed is kept and listed here: its tree size, when it ' +
      'was signed (`signedAt`) and its signed note. Paged by tree size: `after` (a size; 0 if ' +
      'omitted) and `limit` (1 to 1,000, 100 if omitted); `next` is the `after` of the next ' +
      'page, null on the last. Any two of them prove consistent with `GET /v1/evidence/consistency`.',
    input: { query: S.CheckpointsQuery },
    responses: { 200: S.Checkpoints },
    handler: async ({ query }) => {
      const after = query.after ?? 0;
      const limit = query.limit ?? 100;
      if (after < 0) throw badParam('after', `must be 0 or more, got ${after}`);
      if (limit < 1 || limit > MAX_PAGE)
        throw badParam('limit', `must be between 1 and ${MAX_PAGE}, got ${limit}`);
      // One more than the page: whether another page follows.
      const page = signer.kept.page(after, limit + 1);
      const rows = page.slice(0, limit);
      const next = page.length > limit ? rows[rows.length - 1]!.size : null;
      return { status: 200, body: { checkpoints: rows.map(checkpointOnWire), next } };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/consistency',
    summary: 'A consistency proof between two tree sizes',
    description:
      'The RFC 9162 consistency proof (base64 hashes) that the tree of `from` leaves is a prefix ' +
      'of the tree of `to` leaves: given two checkpoints, it shows the later one extends the ' +
      'earlier without changing any event. `1 <= from <= to <=` the tree’s size.',
    input: { query: S.ConsistencyQuery },
    responses: { 200: S.ConsistencyProof },
    handler: async ({ query }) => {
      const { from, to } = query;
      if (from < 1) throw badParam('from', `must be 1 or more, got ${from}`);
      if (from > to) throw badParam('from', `must not be more than to (${to}), got ${from}`);
      const size = await treeSize(to);
      if (to > size) throw badParam('to', `must be at most the tree's size (${size}), got ${to}`);
      const proof = hashesOnWire(tree.consistency(from, to));
      return { status: 200, body: { from, to, proof } };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/evidence/inclusion',
    summary: 'An event proven in the tree of the log',
    description:
      'The event at log `position` (decimal, as every answer writes positions), its canonical ' +
      'entry text (the leaf’s bytes) and leaf hash, and its RFC 9162 inclusion proof (base64 ' +
      'hashes) in the tree of `size` leaves: by default the latest signed checkpoint’s (signed ' +
      'now if none covers the event yet). `checkpoint`: the signed note of that size, if one is ' +
      'kept (null otherwise: prove it against a kept one with a consistency proof).',
    problems: { 404: 'The log has no event at that position (`.../problems/event-not-found`)' },
    input: { query: S.InclusionQuery },
    responses: { 200: S.InclusionProof },
    handler: async ({ query }) => {
      const text = query.position;
      if (!DECIMAL.test(text))
        throw badParam('position', `must be a decimal log position, got ${JSON.stringify(text)}`);
      const position = BigInt(text);
      const notFound = () =>
        problem('event-not-found', 404, 'Event Not Found', `the log has no event at ${text}`);
      if (position > MAX_POSITION) throw notFound();
      let leaf = tree.leafOf(position);
      if (leaf === null) {
        await runner.catchUp();
        leaf = tree.leafOf(position);
      }
      if (leaf === null) throw notFound();
      let size: number;
      let checkpoint: string | null;
      if (query.size === undefined) {
        let latest = signer.kept.latest();
        if (!latest || latest.size <= leaf) latest = signer.signNow();
        if (!latest || latest.size <= leaf)
          throw new Error(`no signed checkpoint covers leaf ${leaf}`);
        ({ size, note: checkpoint } = latest);
      } else {
        size = query.size;
        if (size <= leaf)
          throw badParam('size', `must be more than the event's leaf index (${leaf}), got ${size}`);
        const treeHas = await treeSize(size);
        if (size > treeHas)
          throw badParam('size', `must be at most the tree's size (${treeHas}), got ${size}`);
        const kept = signer.kept.covering(size);
        checkpoint = kept?.size === size ? kept.note : null;
      }
      // The event itself, as stored: the one after the previous leaf's position.
      const after = leaf === 0 ? null : tree.positionOf(leaf - 1);
      const [record] = await store.readStored({ after, maxCount: 1 });
      if (record?.position !== position)
        throw new Error(`the evidence tree has leaf ${leaf} at ${text}, the log does not`);
      const leafHash = tree.leafHash(leaf);
      if (!leafHash) throw new Error(`the evidence tree has no hash of leaf ${leaf}`);
      return {
        status: 200,
        body: {
          position: text,
          leafIndex: leaf,
          size,
          entry: entryText(record),
          leafHash: toBase64(leafHash),
          proof: hashesOnWire(tree.inclusion(leaf, size)),
          checkpoint,
        },
      };
    },
  });

  route({
    ...audits,
    method: 'GET',
    url: '/v1/deletions/:id/receipt',
    summary: 'The receipt of a completed deletion, verifiable offline',
    description:
      'The deletion receipt of the request `id` belongs to (its root thread or any thread of ' +
      'its subtree), once complete: a signed checkpoint and, for every thread of the subtree, ' +
      'its deletion events exactly as the log stores them (its tombstone, each step, ' +
      '`ThreadDeleted`; no content), each with its inclusion proof under that checkpoint. With ' +
      'the verifier key alone (`GET /v1/evidence/key`) it proves who asked, when, and that every ' +
      'step the tombstones committed to was done or waived (format ' +
      '`thread-ledger/deletion-receipt/v1`).',
    problems: {
      404: 'No thread `{id}` (`.../problems/thread-not-found`)',
      409: {
        description:
          'The deletion is not complete, or the thread is not deleted (`.../problems/deletion-not-complete`, with `rootThreadId` and `rootStatus`: `live` or `deleting`)',
        codec: S.DeletionNotComplete,
      },
    },
    input: { params: ThreadIdPath },
    responses: { 200: Receipt },
    handler: async ({ params }) => {
      const built = await receipts.build(params.id);
      if (E.isLeft(built)) throw refusal(built.left);
      return { status: 200, body: built.right };
    },
  });
};
