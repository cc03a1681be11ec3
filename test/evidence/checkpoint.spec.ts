import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toBase64, utf8 } from '../../src/evidence/bytes.js';
import {
  type Checkpoint,
  formatCheckpoint,
  parseCheckpoint,
} from '../../src/evidence/checkpoint.js';
import { parseNote } from '../../src/evidence/signedNote.js';
import { nodeTreeHasher } from '../../src/io/evidence/nodeEvidenceCrypto.js';

/**
 * C2SP checkpoints (tlog-checkpoint.md) against Go's sumdb/tlog FormatTree/ParseTree tests,
 * which read the same three lines (their origin is fixed, ours is the first line read back), and
 * the C2SP example. Sources in test/fixtures/evidence/README.md.
 */
const fixture = (name: string): any =>
  JSON.parse(readFileSync(new URL(`../fixtures/evidence/${name}`, import.meta.url), 'utf8'));
const go = fixture('go-tlog-note.json');
const c2sp = fixture('c2sp-examples.json');

const parsed = (text: string): Checkpoint => {
  const c = parseCheckpoint(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
};
const plain = (c: Checkpoint) => ({ origin: c.origin, size: c.size, root: toBase64(c.root) });

describe("Go's sumdb/tlog TestFormatTree and TestParseTree", () => {
  const tree: Checkpoint = {
    origin: go.origin,
    size: go.size,
    root: nodeTreeHasher.leaf(utf8(go.rootIsLeafHashOf)),
  };

  it('formats the tree of 123456789012 leaves with the root RecordHash("hello world") as Go does', () => {
    expect(formatCheckpoint(tree)).toBe(go.text);
  });

  it('parses that text back to the same origin, size and root', () => {
    expect(plain(parsed(go.text))).toEqual(plain(tree));
  });

  const reasons: Record<string, string> = {
    'a size in hex': 'the tree size is not a decimal number without leading zeros',
    'a root hash too long': 'the root hash is not base64 of 32 bytes',
  };
  it.each(go.badTrees as { desc: string; text: string }[])('refuses $desc', ({ desc, text }) => {
    expect(parseCheckpoint(text)).toBe(reasons[desc]);
  });

  it('reads the origin of another log as it is, for the caller to compare with the one it trusts', () => {
    // Go's ParseTree refuses "not-go.sum database tree"; ours takes the origin as a parameter of
    // no one log, so the caller checks it.
    expect(parsed(go.otherOrigin.text).origin).toBe('not-go.sum database tree');
  });

  it('reads non-empty lines after the root as extension lines, ignored (Go: junk on the end)', () => {
    for (const { suffix, times } of go.junkOnEnd as { suffix: string; times: number }[]) {
      const text = go.text + suffix.repeat(times);
      if (suffix.endsWith('\n')) expect(plain(parsed(text))).toEqual(plain(tree));
      // A note's text ends in a newline (signed-note.md): a last line without one is refused.
      else expect(parseCheckpoint(text)).toBe('a checkpoint has three lines');
    }
  });
});

describe('the C2SP tlog-checkpoint example', () => {
  const ex = c2sp.checkpoint;

  it('is a signed note whose text reads as origin, size and root hash', () => {
    const note = parseNote(ex.note);
    if (typeof note === 'string') throw new Error(note);
    expect(note.signatures.map((s) => s.name)).toEqual([ex.origin]);
    const c = parsed(note.text);
    expect(plain(c)).toEqual({ origin: ex.origin, size: ex.size, root: ex.rootBase64 });
    expect(c.root).toHaveLength(32);
    expect(formatCheckpoint(c)).toBe(note.text);
  });
});

describe('the format rules of tlog-checkpoint.md', () => {
  const root = toBase64(new Uint8Array(32).fill(7));

  it('reads an empty tree as size 0', () => {
    expect(parsed(`log.example\n0\n${root}\n`).size).toBe(0);
  });

  it.each([
    ['no origin', `\n1\n${root}\n`, 'the checkpoint has no origin'],
    [
      'a size with a leading zero',
      `log.example\n01\n${root}\n`,
      'the tree size is not a decimal number without leading zeros',
    ],
    [
      'a size with a sign',
      `log.example\n+1\n${root}\n`,
      'the tree size is not a decimal number without leading zeros',
    ],
    [
      'a size with a space',
      `log.example\n 1\n${root}\n`,
      'the tree size is not a decimal number without leading zeros',
    ],
    [
      'a size past 2^53',
      `log.example\n9007199254740993\n${root}\n`,
      'the tree size is not a decimal number without leading zeros',
    ],
    [
      'a root of 31 bytes',
      `log.example\n1\n${toBase64(new Uint8Array(31))}\n`,
      'the root hash is not base64 of 32 bytes',
    ],
    [
      'a root in base64url',
      `log.example\n1\n${'_'.repeat(43)}=\n`,
      'the root hash is not base64 of 32 bytes',
    ],
    [
      'a root without its padding',
      `log.example\n1\n${root.slice(0, -1)}\n`,
      'the root hash is not base64 of 32 bytes',
    ],
    ['two lines', `log.example\n1\n`, 'a checkpoint has three lines'],
    ['no final newline', `log.example\n1\n${root}`, 'a checkpoint has three lines'],
    [
      'an empty extension line',
      `log.example\n1\n${root}\n\next\n`,
      'a checkpoint has an empty extension line',
    ],
  ])('refuses %s', (_what, text, reason) => {
    expect(parseCheckpoint(text)).toBe(reason);
  });
});
