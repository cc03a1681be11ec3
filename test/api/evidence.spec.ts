import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { describe, expect, it } from 'vitest';
import * as S from '../../src/api/http/evidenceShapes.js';
import { fromBase64, toBase64, utf8 } from '../../src/evidence/bytes.js';
import { type Checkpoint, parseCheckpoint } from '../../src/evidence/checkpoint.js';
import { parseEntry } from '../../src/evidence/entry.js';
import { checkConsistency, checkInclusion, type Hash } from '../../src/evidence/merkle.js';
import { Receipt } from '../../src/evidence/receipt.js';
import { verifyReceipt } from '../../src/evidence/receiptCheck.js';
import { openNote, parseVerifierKey, type VerifierKey } from '../../src/evidence/signedNote.js';
import { nodeEvidenceCrypto, nodeTreeHasher } from '../../src/io/evidence/nodeEvidenceCrypto.js';
import { A, ADM, callServer, useHttpServer, W } from '../support/httpServerFixture.js';

const PROBLEMS = 'https://thread-ledger.dev/problems/';
const hashes = (proof: readonly string[]): Hash[] =>
  proof.map((h) => {
    const b = fromBase64(h);
    if (b?.length !== 32) throw new Error(`not a base64 hash: ${h}`);
    return b;
  });

/** The answer is what the OpenAPI document says it is: decoded by the codec it is derived from. */
const conforms = (codec: t.Mixed, value: unknown) => {
  const r = codec.decode(value);
  return E.isRight(r) ? [] : PathReporter.report(r);
};

/**
 * The evidence of `/v1` through a real listening server, checked as a reviewer would: with the
 * verifier key the server gives, and the pure rules of src/evidence only (nothing of the server's
 * own reading of its tree is trusted).
 */
describe('the evidence routes, through a real listening server', () => {
  const s = useHttpServer();
  const call = callServer(() => s.base);
  const ev = () => s.f.ledger.evidence;

  const started = async (): Promise<string> => {
    const r = await call('POST', '/v1/threads', W, { cwd: '/w', modelProvider: 'openai' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.threadId;
  };
  /** A checkpoint of the tree as it stands once the read models hold every event. */
  const signed = async () => {
    await s.f.ledger.runner.catchUp();
    return ev().signer.signNow()!;
  };
  const verifierKey = async (): Promise<VerifierKey> => {
    const r = await call('GET', '/v1/evidence/key', A);
    expect(r.status).toBe(200);
    const key = parseVerifierKey(nodeEvidenceCrypto, r.body.verifierKey);
    if (typeof key === 'string') throw new Error(key);
    return key;
  };
  const opened = (key: VerifierKey, note: string): Checkpoint => {
    const text = openNote(nodeEvidenceCrypto, note, key);
    if (typeof text === 'string') throw new Error(text);
    const cp = parseCheckpoint(text.text);
    if (typeof cp === 'string') throw new Error(cp);
    return cp;
  };
  const expectInvalid = async (path: string, field: string, reason: RegExp) => {
    const r = await call('GET', path, A);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body.type).toBe(`${PROBLEMS}validation`);
    expect(r.body.errors, path).toEqual([{ field, reason: expect.stringMatching(reason) }]);
  };

  it('gives the verifier key: the C2SP text, its name, its id in hex, Ed25519', async () => {
    const r = await call('GET', '/v1/evidence/key', A);
    expect(r.status).toBe(200);
    const { verifier, verifierText } = ev().key;
    expect(r.body).toEqual({
      verifierKey: verifierText,
      keyName: verifier.name,
      keyId: Buffer.from(verifier.keyId).toString('hex'),
      algorithm: 'Ed25519',
    });
    expect(conforms(S.EvidenceKey, r.body)).toEqual([]);
    const key = await verifierKey();
    expect(key.name).toBe(r.body.keyName);
    expect(r.body.verifierKey.startsWith(`${r.body.keyName}+${r.body.keyId}+`)).toBe(true);
  });

  it('has no checkpoint for an empty log (404 no-checkpoint); then serves the latest, signed, as text the key opens, over the tree as it stands', async () => {
    const none = await call('GET', '/v1/evidence/checkpoint', A);
    expect(none.status).toBe(404);
    expect(none.type).toMatch(/^application\/problem\+json/);
    expect(none.body.type).toBe(`${PROBLEMS}no-checkpoint`);

    await started();
    await started();
    const r = await call('GET', '/v1/evidence/checkpoint', A);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; charset=utf-8');
    const key = await verifierKey();
    const cp = opened(key, r.body);
    expect(cp.origin).toBe(key.name);
    expect(cp.size).toBe(ev().tree.size());
    expect(Buffer.from(cp.root)).toEqual(Buffer.from(ev().tree.root(cp.size)));
    // Exactly the note kept: what was signed is what is served.
    expect(r.body).toBe(ev().signer.kept.latest()!.note);
  });

  it('lists every signed checkpoint, smallest first, paged by size with next; each opens with the key', async () => {
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await started();
      s.f.clock.now += 1000;
      sizes.push((await signed()).size);
    }
    const kept = [...ev().signer.kept.all()];
    expect(kept.map((c) => c.size)).toEqual(expect.arrayContaining(sizes));
    const key = await verifierKey();

    const seen: { size: number; signedAt: string; note: string }[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const r = await call('GET', `/v1/evidence/checkpoints?after=${after}&limit=2`, A);
      expect(r.status).toBe(200);
      expect(r.body.checkpoints.length).toBeLessThanOrEqual(2);
      expect(conforms(S.Checkpoints, r.body)).toEqual([]);
      seen.push(...r.body.checkpoints);
      after = r.body.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(kept.length / 2));
    expect(seen).toEqual(
      kept.map((c) => ({
        size: c.size,
        signedAt: new Date(c.signedAtMs).toISOString(),
        note: c.note,
      })),
    );
    for (const c of seen) expect(opened(key, c.note).size).toBe(c.size);

    const whole = await call('GET', '/v1/evidence/checkpoints', A);
    expect(whole.body).toEqual({ checkpoints: seen, next: null });
    const past = await call('GET', `/v1/evidence/checkpoints?after=${sizes[2]}`, A);
    expect(past.body).toEqual({ checkpoints: [], next: null });
  });

  it('proves two checkpoints consistent: the proof leads from the earlier root to the later one', async () => {
    await started();
    const first = await signed();
    await started();
    await started();
    const last = await signed();
    const key = await verifierKey();
    const a = opened(key, first.note);
    const b = opened(key, last.note);
    expect(a.size).toBeLessThan(b.size);

    const r = await call('GET', `/v1/evidence/consistency?from=${a.size}&to=${b.size}`, A);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ from: a.size, to: b.size, proof: expect.any(Array) });
    expect(conforms(S.ConsistencyProof, r.body)).toEqual([]);
    const proof = hashes(r.body.proof);
    expect(checkConsistency(nodeTreeHasher, proof, b.size, b.root, a.size, a.root)).toBe(true);
    // Not a proof that holds whatever the roots: a wrong earlier root fails it.
    expect(checkConsistency(nodeTreeHasher, proof, b.size, b.root, a.size, b.root)).toBe(false);

    const same = await call('GET', `/v1/evidence/consistency?from=${b.size}&to=${b.size}`, A);
    expect(same.body.proof).toEqual([]);
  });

  it('proves an event of a thread’s history in the signed tree: its entry as stored, its leaf hash, its proof to the checkpoint’s root', async () => {
    const id = await started();
    await started();
    const history = await call('GET', `/v1/threads/${id}/history`, A);
    const event = history.body.events[0];
    const key = await verifierKey();

    const r = await call('GET', `/v1/evidence/inclusion?position=${event.position}`, A);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(conforms(S.InclusionProof, r.body)).toEqual([]);
    const { position, leafIndex, size, entry, leafHash, proof, checkpoint } = r.body;
    expect(position).toBe(event.position);
    const parsed = parseEntry(entry);
    if (E.isLeft(parsed)) throw new Error(parsed.left);
    expect(parsed.right).toMatchObject({
      eventId: event.id,
      type: event.type,
      position: BigInt(event.position),
      data: event.data,
    });
    const leaf = nodeTreeHasher.leaf(utf8(entry));
    expect(leafHash).toBe(toBase64(leaf));
    expect(checkpoint).not.toBeNull();
    const cp = opened(key, checkpoint);
    expect(cp.size).toBe(size);
    expect(leafIndex).toBeLessThan(size);
    expect(checkInclusion(nodeTreeHasher, hashes(proof), size, cp.root, leafIndex, leaf)).toBe(
      true,
    );
    // Another entry does not pass with that proof.
    const other = nodeTreeHasher.leaf(utf8(entry.replace(event.id, id)));
    expect(checkInclusion(nodeTreeHasher, hashes(proof), size, cp.root, leafIndex, other)).toBe(
      false,
    );
  });

  it('proves an event in a tree of any size that holds it: the kept checkpoint of that size, else null', async () => {
    const id = await started();
    await started();
    const kept = await signed();
    await started();
    await s.f.ledger.runner.catchUp();
    const unsigned = ev().tree.size();
    expect(unsigned).toBeGreaterThan(kept.size);
    const history = await call('GET', `/v1/threads/${id}/history`, A);
    const position = history.body.events[0].position;
    const key = await verifierKey();

    const atKept = await call(
      'GET',
      `/v1/evidence/inclusion?position=${position}&size=${kept.size}`,
      A,
    );
    expect(atKept.status).toBe(200);
    expect(atKept.body.checkpoint).toBe(kept.note);
    const root = opened(key, kept.note).root;
    const leaf = fromBase64(atKept.body.leafHash)!;
    const { leafIndex, proof } = atKept.body;
    expect(checkInclusion(nodeTreeHasher, hashes(proof), kept.size, root, leafIndex, leaf)).toBe(
      true,
    );

    const atUnsigned = await call(
      'GET',
      `/v1/evidence/inclusion?position=${position}&size=${unsigned}`,
      A,
    );
    expect(atUnsigned.status).toBe(200);
    expect(atUnsigned.body).toMatchObject({ size: unsigned, checkpoint: null, leafIndex });
    expect(conforms(S.InclusionProof, atUnsigned.body)).toEqual([]);
    // Proven against the root of that size, which a consistency proof ties to the kept checkpoint.
    const later = ev().tree.root(unsigned);
    expect(
      checkInclusion(
        nodeTreeHasher,
        hashes(atUnsigned.body.proof),
        unsigned,
        later,
        leafIndex,
        leaf,
      ),
    ).toBe(true);
    const tie = await call('GET', `/v1/evidence/consistency?from=${kept.size}&to=${unsigned}`, A);
    expect(
      checkConsistency(nodeTreeHasher, hashes(tie.body.proof), unsigned, later, kept.size, root),
    ).toBe(true);
  });

  it('gives the receipt of a deleted subtree that verifies offline with the key alone; before completion 409 naming the root and its status', async () => {
    const root = await started();
    const spawn = await call('POST', `/v1/threads/${root}/subagents`, W, {
      cwd: '/w',
      modelProvider: 'openai',
    });
    expect(spawn.status).toBe(201);
    const child: string = spawn.body.threadId;

    const live = await call('GET', `/v1/deletions/${child}/receipt`, A);
    expect(live.status).toBe(409);
    expect(live.type).toMatch(/^application\/problem\+json/);
    expect(live.body).toMatchObject({
      type: `${PROBLEMS}deletion-not-complete`,
      status: 409,
      threadId: child,
      rootThreadId: child,
      rootStatus: 'live',
    });
    expect(conforms(S.DeletionNotComplete, live.body)).toEqual([]);

    // The worker held back: the deletion is requested, not done.
    await s.f.ledger.workerLoop.stop();
    expect((await call('DELETE', `/v1/threads/${root}?reason=asked`, W)).status).toBe(202);
    const deleting = await call('GET', `/v1/deletions/${child}/receipt`, A);
    expect(deleting.status).toBe(409);
    expect(deleting.body).toMatchObject({ rootThreadId: root, rootStatus: 'deleting' });
    expect(deleting.body.detail).toContain(root);

    s.f.ledger.workerLoop.start();
    let r = await call('GET', `/v1/deletions/${child}/receipt`, A);
    for (let i = 0; i < 200 && r.status === 409; i++) {
      await new Promise((done) => setTimeout(done, 25));
      r = await call('GET', `/v1/deletions/${child}/receipt`, A);
    }
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ threadId: child, rootThreadId: root });
    expect(conforms(Receipt, r.body)).toEqual([]);

    const summary = verifyReceipt(nodeEvidenceCrypto, await verifierKey(), r.body);
    if (E.isLeft(summary)) throw new Error(summary.left);
    expect(summary.right).toMatchObject({
      threadId: child,
      rootThreadId: root,
      requestedBy: 'svc-orders',
      reason: 'asked',
    });
    expect(new Set(summary.right.threads.map((t) => t.threadId))).toEqual(new Set([root, child]));
    // An edited receipt does not verify.
    const edited = structuredClone(r.body);
    edited.entries[0].entry = edited.entries[0].entry.replace('asked', 'other');
    expect(E.isLeft(verifyReceipt(nodeEvidenceCrypto, await verifierKey(), edited))).toBe(true);

    const unknown = await call(
      'GET',
      '/v1/deletions/01a21371-4b35-72ca-ac7d-282102267fc9/receipt',
      ADM,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe(`${PROBLEMS}thread-not-found`);
  });

  it('refuses bad parameters with a 400 naming the parameter and what is wrong', async () => {
    await started();
    await started();
    await s.f.ledger.runner.catchUp();
    const size = ev().tree.size();
    const c = '/v1/evidence/consistency';
    await expectInvalid(`${c}?from=0&to=1`, 'from', /1 or more/);
    await expectInvalid(`${c}?from=abc&to=1`, 'from', /abc/);
    await expectInvalid(`${c}?from=1.5&to=2`, 'from', /1\.5/);
    await expectInvalid(`${c}?from=2&to=1`, 'from', /not be more than to/);
    await expectInvalid(
      `${c}?from=1&to=${size + 1}`,
      'to',
      new RegExp(`tree's size \\(${size}\\)`),
    );
    await expectInvalid(`${c}?from=1`, 'to', /required/);
    const i = '/v1/evidence/inclusion';
    await expectInvalid(`${i}?position=abc`, 'position', /decimal/);
    await expectInvalid(`${i}?position=01`, 'position', /decimal/);
    await expectInvalid(i, 'position', /required/);
    await expectInvalid(`${i}?position=0&size=x`, 'size', /x/);
    const first = (await s.f.ledger.store.readAll({ after: null, maxCount: 1 }))[0]!.position;
    await expectInvalid(`${i}?position=${first}&size=0`, 'size', /leaf index \(0\)/);
    await expectInvalid(`${i}?position=${first}&size=${size + 1}`, 'size', /tree's size/);
    const p = '/v1/evidence/checkpoints';
    await expectInvalid(`${p}?limit=0`, 'limit', /between 1 and 1000/);
    await expectInvalid(`${p}?limit=1001`, 'limit', /between 1 and 1000/);
    await expectInvalid(`${p}?after=-1`, 'after', /0 or more/);
    await expectInvalid('/v1/deletions/not-an-id/receipt', 'id', /not-an-id/);

    // A well-formed position the log does not have: 404.
    for (const missing of ['999999999', '99999999999999999999999']) {
      const r = await call('GET', `${i}?position=${missing}`, A);
      expect(r.status).toBe(404);
      expect(r.body.type).toBe(`${PROBLEMS}event-not-found`);
    }
  });
});
