import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8, toHex, utf8 } from '../../src/evidence/bytes.js';
import {
  formatNote,
  formatVerifierKey,
  keyIdOf,
  openNote,
  parseNote,
  parseVerifierKey,
  type VerifierKey,
} from '../../src/evidence/signedNote.js';
import { nodeEvidenceCrypto } from '../../src/io/evidence/nodeEvidenceCrypto.js';

/**
 * C2SP signed notes against the C2SP examples and Go's sumdb/note tests (their Ed25519 cases),
 * kept as data in test/fixtures/evidence (README.md there says where each comes from).
 */
const crypto = nodeEvidenceCrypto;
const fixture = (name: string): any =>
  JSON.parse(readFileSync(new URL(`../fixtures/evidence/${name}`, import.meta.url), 'utf8'));
const c2sp = fixture('c2sp-examples.json');
const go = fixture('go-sumdb-note.json');

const key = (text: string): VerifierKey => {
  const k = parseVerifierKey(crypto, text);
  if (typeof k === 'string') throw new Error(`${text}: ${k}`);
  return k;
};
const opened = (note: string, k: VerifierKey) => openNote(crypto, note, k);

/**
 * An Ed25519 signer from a 32-byte seed, with node:crypto. A JWK import needs the public `x`
 * beside the seed `d`, so the key is read from its PKCS#8 form (the seed is all it holds) and
 * the public key taken from its JWK export.
 */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const signerFromSeed = (name: string, seed: Uint8Array) => {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = Uint8Array.from(Buffer.from(jwk.x!, 'base64url'));
  const verifierKey: VerifierKey = { name, keyId: keyIdOf(crypto, name, publicKey), publicKey };
  return {
    verifierKey,
    /** The signed note of `text`, in the C2SP form. */
    sign: (text: string): string =>
      formatNote({
        text,
        signatures: [
          {
            name,
            keyId: verifierKey.keyId,
            signature: Uint8Array.from(sign(null, utf8(text), privateKey)),
          },
        ],
      }),
  };
};

describe('the C2SP signed-note example (signed-note.md)', () => {
  const ex = c2sp.signedNote;

  it('reads its verifier key: name, key id, Ed25519 public key; and writes it back the same', () => {
    const k = key(ex.verifierKey);
    expect([k.name, toHex(k.keyId), k.publicKey.length]).toEqual([
      'example.com/foo',
      '530d903a',
      32,
    ]);
    expect(formatVerifierKey(k)).toBe(ex.verifierKey);
  });

  it('opens the example note with it, giving the text with its final newline', () => {
    expect(opened(ex.note, key(ex.verifierKey))).toEqual({ text: ex.text });
  });

  it('separates the text from the signatures at the last blank line (the opening example)', () => {
    const n = c2sp.noteWithBlankLines;
    const parsed = parseNote(n.note);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.text).toBe(n.text);
    expect(parsed.signatures.map((s) => s.name)).toEqual([n.keyName]);
    // Its key is not published: a note not signed by the key asked for is refused.
    expect(opened(n.note, key(ex.verifierKey))).toBe('the note is not signed by example.com/foo');
  });
});

describe("Go's sumdb/note tests (note_test.go), the Ed25519 cases", () => {
  const peter = key(go.peter.verifierKey);
  const enoch = key(go.enoch.verifierKey);
  const text: string = go.text;
  const peterSig: string = go.peter.signatureLine;
  const enochSig: string = go.enoch.signatureLine;

  it('reads the verifier keys of PeterNeumann and EnochRoot, their key ids computed (TestNewVerifier)', () => {
    expect([peter.name, toHex(peter.keyId)]).toEqual(['PeterNeumann', go.peter.keyId]);
    expect([enoch.name, toHex(enoch.keyId)]).toEqual(['EnochRoot', go.enoch.keyId]);
    expect(toHex(keyIdOf(crypto, peter.name, peter.publicKey))).toBe(go.peter.keyId);
  });

  it('refuses every proper substring and every one-byte increment of a verifier key, with a reason', () => {
    const vkey: string = go.peter.verifierKey;
    const mangled: string[] = [];
    for (let i = 0; i <= vkey.length; i++)
      for (let j = i + 1; j <= vkey.length; j++)
        if (i !== 0 || j !== vkey.length) mangled.push(vkey.slice(i, j));
    for (let i = 0; i < vkey.length; i++)
      mangled.push(
        vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1),
      );
    const accepted = mangled.filter((m) => typeof parseVerifierKey(crypto, m) !== 'string');
    expect(accepted).toEqual([]);
    expect(mangled.length).toBe((vkey.length * (vkey.length + 1)) / 2 - 1 + vkey.length);
  });

  // Our reasons: the first key's padded tail "EY==" has non-zero unused bits, so it is not
  // base64 in its one canonical spelling before it is a key of the wrong length.
  const ourReasons: Record<string, string> = {
    'wrong length key, with adjusted key hash': 'the key is not base64',
    'unknown algorithm, with adjusted key hash':
      'the key is not an Ed25519 key (type 0x01 and 32 bytes)',
  };
  it.each(go.badVerifierKeys as { desc: string; key: string }[])(
    'refuses a verifier key: $desc',
    ({ desc, key: k }) => {
      expect(parseVerifierKey(crypto, k)).toBe(ourReasons[desc]);
    },
  );

  it("signs as Go does: Peter's seed (PRIVATE+KEY+...) signs the text into the very note of TestSign", () => {
    // PRIVATE+KEY+<name>+<key id>+base64(0x01 || seed): the base64 may itself hold a '+'.
    const material = Buffer.from(
      (go.peter.signerKey as string).split('+').slice(4).join('+'),
      'base64',
    );
    expect(material[0]).toBe(0x01);
    const signer = signerFromSeed('PeterNeumann', material.subarray(1));
    expect(formatVerifierKey(signer.verifierKey)).toBe(go.peter.verifierKey);
    expect(signer.sign(text)).toBe(go.signedByPeter);
  });

  it('opens a note signed by two keys with either, ignoring the other one (TestOpen)', () => {
    const note = `${text}\n${peterSig}${enochSig}`;
    expect(opened(note, peter)).toEqual({ text });
    expect(opened(note, enoch)).toEqual({ text });
  });

  it("ignores another key's signature that does not verify, but not one of its own", () => {
    const enochABCD = `${enochSig.slice(0, 60)}ABCD${enochSig.slice(60)}`;
    const note = `${text}\n${peterSig}${peterSig}${enochSig}${enochSig}${enochABCD}`;
    expect(opened(note, peter)).toEqual({ text });
    // C2SP: a signature of a known key that fails SHOULD fail the note; Go fails it too.
    expect(opened(note, enoch)).toBe('the signature of EnochRoot does not verify');
  });

  it('refuses an invalid signature of the key (four letters inserted)', () => {
    const note = `${text}\n${peterSig.slice(0, 60)}ABCD${peterSig.slice(60)}`;
    expect(opened(note, peter)).toBe('the signature of PeterNeumann does not verify');
  });

  it('accepts 100 signatures (C2SP: at least 16) and refuses 101 (Go: malformed note)', () => {
    expect(opened(`${text}\n${peterSig.repeat(16)}`, peter)).toEqual({ text });
    expect(opened(`${text}\n${peterSig.repeat(100)}`, peter)).toEqual({ text });
    expect(opened(`${text}\n${peterSig.repeat(101)}`, peter)).toBe(
      'the note has too many signatures',
    );
  });

  it('refuses a signature under another name or key id as not signed by the key', () => {
    const misnamed = peterSig.replaceAll('PeterNeumann', 'CarmenSandiego');
    const wrongHash = peterSig.replaceAll('x08g', 'xxxx');
    expect(opened(`${text}\n${misnamed}`, peter)).toBe('the note is not signed by PeterNeumann');
    expect(opened(`${text}\n${wrongHash}`, peter)).toBe('the note is not signed by PeterNeumann');
  });

  it.each([
    ['only text', text, 'the note has no blank line before its signatures'],
    ['text and a blank line', `${text}\n`, 'the signatures do not end with a newline'],
    [
      'a signature line with no final newline',
      `${text}\n${peterSig.slice(0, -1)}`,
      'the signatures do not end with a newline',
    ],
    ['a control character', `\x01${text}\n${peterSig}`, 'the note has a control character'],
    [
      'a key name with a space, no final newline',
      `${text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      'the signatures do not end with a newline',
    ],
    [
      'a key name with a space',
      `${text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      'the signature of Bad is not base64 of a key id and a signature',
    ],
    [
      'a line that is not a signature',
      `${text}\n${peterSig}Unexpected line.\n`,
      'a signature line does not start with "— "',
    ],
  ])('refuses a malformed note: %s', (_what, note, reason) => {
    expect(parseNote(note)).toBe(reason);
    expect(opened(note, peter)).toBe(reason);
  });

  it('refuses a note that is not UTF-8 where its bytes are read (Go: "\\xff" + text)', () => {
    const bytes = Buffer.concat([Buffer.of(0xff), Buffer.from(`${text}\n${peterSig}`)]);
    expect(fromUtf8(bytes)).toBeNull();
  });
});

describe('notes signed with node:crypto, then edited', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
  const signer = signerFromSeed('ledger.example/evidence', seed);
  const text = 'ledger.example/evidence\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const note = signer.sign(text);
  const k = signer.verifierKey;

  it('opens as signed, and its verifier key reads back to the same key', () => {
    expect(opened(note, k)).toEqual({ text });
    expect(key(formatVerifierKey(k))).toEqual(k);
  });

  it.each([
    [
      'a digit of the text',
      note.replace('\n42\n', '\n43\n'),
      'the signature of ledger.example/evidence does not verify',
    ],
    [
      'a line added to the text',
      `x\n${note}`,
      'the signature of ledger.example/evidence does not verify',
    ],
    [
      'a bit of the signature',
      (() => {
        const parsed = parseNote(note) as Exclude<ReturnType<typeof parseNote>, string>;
        const s = parsed.signatures[0]!;
        const signature = Uint8Array.from(s.signature);
        signature[10]! ^= 0x04;
        return formatNote({ text, signatures: [{ ...s, signature }] });
      })(),
      'the signature of ledger.example/evidence does not verify',
    ],
    [
      'the key name',
      note.replace('— ledger.example/evidence ', '— ledger.example/other '),
      'the note is not signed by ledger.example/evidence',
    ],
    [
      'the key id',
      formatNote({
        text,
        signatures: (
          parseNote(note) as Exclude<ReturnType<typeof parseNote>, string>
        ).signatures.map((s) => ({
          ...s,
          keyId: Uint8Array.of(s.keyId[0]! ^ 1, ...s.keyId.subarray(1)),
        })),
      }),
      'the note is not signed by ledger.example/evidence',
    ],
  ])('refuses it with %s edited', (_what, edited, reason) => {
    expect(edited).not.toBe(note);
    expect(opened(edited, k)).toBe(reason);
  });

  it('refuses it under another key of the same name (a key id of its own)', () => {
    const other = signerFromSeed(
      'ledger.example/evidence',
      seed.map((b) => b ^ 0xff),
    );
    expect(opened(note, other.verifierKey)).toBe(
      'the note is not signed by ledger.example/evidence',
    );
  });

  it('reads back the verifier key of any seed, "+" in its base64 or not (property)', () => {
    // Half of all Ed25519 keys have a '+' in base64(0x01 || key): the key splits at two pluses only.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (s) => {
        const { verifierKey, sign: signText } = signerFromSeed('ledger.example/evidence', s);
        const vkey = formatVerifierKey(verifierKey);
        const read = key(vkey);
        expect(formatVerifierKey(read)).toBe(vkey);
        expect(opened(signText('hi\n'), read)).toEqual({ text: 'hi\n' });
      }),
      { numRuns: 40 },
    );
  });

  it('reads a verifier key whose base64 holds a "+" (seed of 32 bytes 0x08)', () => {
    const s = signerFromSeed('ledger.example/evidence', new Uint8Array(32).fill(8));
    const vkey = formatVerifierKey(s.verifierKey);
    expect(vkey.split('+')).toHaveLength(4);
    expect(key(vkey)).toEqual(s.verifierKey);
  });
});
