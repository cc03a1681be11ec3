import { equalBytes } from '../../evidence/bytes.js';
import { openCheckpoint } from '../../evidence/checkpoint.js';
import { CompactTree, type Hash } from '../../evidence/merkle.js';
import type { VerifierKey } from '../../evidence/signedNote.js';
import {
  binaryTreeHasher,
  bytesOfBinary,
  nodeEvidenceCrypto,
} from '../../io/evidence/nodeEvidenceCrypto.js';
import type { EvidenceTreeReader } from '../../projections/evidenceTreeReader.js';
import type { EventStore } from '../../store/eventStore.js';

/** A signed checkpoint to hold the log to: where it comes from, and its note. */
export type CheckpointToVerify = { readonly label: string; readonly note: string };

export type LogVerification =
  | {
      readonly ok: true;
      readonly events: number;
      readonly checkpoints: number;
      /** The largest tree a signature covers. */
      readonly coveredSize: number;
      /** Events after the last signed checkpoint: in the log, not yet under any signature. */
      readonly uncovered: number;
      readonly firstUncoveredPosition: bigint | null;
    }
  | {
      readonly ok: false;
      readonly reason: string;
      /** The first position that contradicts a signed checkpoint, when it can be named. */
      readonly position: bigint | null;
    };

export type VerifyLogOptions = {
  readonly store: Pick<EventStore, 'entryPages'>;
  readonly key: VerifierKey;
  /** Every checkpoint to check, in any order: the kept ones, and any an auditor kept. */
  readonly checkpoints: Iterable<CheckpointToVerify>;
  /** The evidence tree as folded when the events were new (read.db): names the exact event. */
  readonly tree?: EvidenceTreeReader;
  readonly onProgress?: (events: number, position: bigint) => void;
};

type Target = { readonly size: number; readonly root: Hash; readonly label: string };

const PROGRESS_EVERY = 100_000;

const refused = (reason: string, position: bigint | null = null): LogVerification => ({
  ok: false,
  reason,
  position,
});

/** Reads and checks every checkpoint's signature; the targets by size, or the first bad one. */
const targetsOf = (
  key: VerifierKey,
  checkpoints: Iterable<CheckpointToVerify>,
): Target[] | LogVerification => {
  const bySize = new Map<number, Target>();
  for (const c of checkpoints) {
    const cp = openCheckpoint(nodeEvidenceCrypto, c.note, key);
    if (typeof cp === 'string') return refused(`${c.label}: ${cp}`);
    if (cp.origin !== key.name)
      return refused(`${c.label}: a checkpoint of log ${cp.origin}, not of ${key.name}`);
    const same = bySize.get(cp.size);
    if (same && !equalBytes(same.root, cp.root))
      return refused(`${c.label} and ${same.label} sign two different trees of ${cp.size} events`);
    if (cp.size > 0) bySize.set(cp.size, { size: cp.size, root: cp.root, label: c.label });
  }
  return [...bySize.values()].sort((a, b) => a.size - b.size);
};

/** The tree as folded when the events were new (read.db), if it still matches this signature. */
const trustedTree = (target: Target, tree: EvidenceTreeReader | undefined) =>
  tree !== undefined &&
  tree.size() >= target.size &&
  equalBytes(tree.root(target.size), target.root)
    ? tree
    : null;

/**
 * Names the first event of the window (leaves from `from`) that the trusted tree holds otherwise,
 * and what the leaves after it say happened. An entry holds its position, so a removal or an
 * insertion that renumbered the positions after it changes every leaf from there on; one that
 * did not shows as a shift by one leaf.
 */
const firstDifference = (
  target: Target,
  tree: EvidenceTreeReader,
  from: number,
  leaves: readonly Hash[],
  positions: readonly bigint[],
): LogVerification | null => {
  const same = (a: Hash | null | undefined, b: Hash | null | undefined) =>
    !!a && !!b && equalBytes(a, b);
  const matches = (i: number) => same(leaves[i], tree.leafHash(from + i));
  const i = leaves.findIndex((_, k) => !matches(k));
  if (i < 0) return null;
  const leaf = from + i;
  const now = positions[i]!;
  const said = (what: string, position: bigint) =>
    refused(`${what} (contradicts ${target.label})`, position);
  if (same(leaves[i], tree.leafHash(leaf + 1))) {
    const was = tree.positionOf(leaf) ?? now;
    return said(`the event signed at position ${was} (leaf ${leaf}) was removed from the log`, was);
  }
  if (same(leaves[i + 1], tree.leafHash(leaf)))
    return said(
      `an event was inserted at position ${now} (leaf ${leaf}): the signed log has none there`,
      now,
    );
  let resumes = i + 1;
  while (resumes < leaves.length && !matches(resumes)) resumes++;
  if (resumes === i + 1 || i + 1 >= leaves.length)
    return said(
      `the event at position ${now} (leaf ${leaf}) is not the one signed: it was rewritten`,
      now,
    );
  if (resumes < leaves.length)
    return said(
      `the events at positions ${now} to ${positions[resumes - 1]} (leaves ${leaf} to ${from + resumes - 1}) are not the ones signed: rewritten or swapped`,
      now,
    );
  return said(
    `every event from position ${now} (leaf ${leaf}) on is not the one signed: an event was inserted or removed there, and the positions after it renumbered`,
    now,
  );
};

/** The leaves since the last checkpoint the log passed, and their positions. */
type Window = {
  readonly from: number;
  readonly leaves: readonly Hash[];
  readonly positions: readonly bigint[];
};

/** The trusted tree (if read.db still matches the signature), and the difference it names. */
const difference = (target: Target, w: Window, tree: EvidenceTreeReader | undefined) => {
  const trusted = trustedTree(target, tree);
  const found = trusted && firstDifference(target, trusted, w.from, w.leaves, w.positions);
  return { trusted, found };
};

/** The log fails a checkpoint: the first event that differs, or the span it hides in. */
const locate = (target: Target, w: Window, tree: EvidenceTreeReader | undefined) => {
  const { found } = difference(target, w, tree);
  if (found) return found;
  const { from, leaves, positions } = w;
  const span =
    positions.length > 0
      ? ` (leaves ${from}..${target.size - 1}, positions ${positions[0]}..${positions[positions.length - 1]})`
      : '';
  return refused(
    `the log contradicts ${target.label}: an event among its last ${leaves.length}${span} was rewritten, removed, inserted or swapped` +
      (tree
        ? '; the evidence tree in read.db no longer matches the signature either, so the event cannot be named exactly'
        : ''),
    positions[0] ?? null,
  );
};

/** The log ends before a signed size: an event gone in the window, or its end cut off. */
const shortLog = (
  target: Target,
  size: number,
  w: Window,
  tree: EvidenceTreeReader | undefined,
): LogVerification => {
  const { trusted, found } = difference(target, w, tree);
  if (found) return found;
  const lost = trusted ? trusted.positionOf(size) : null;
  return refused(
    `the log ends after ${size} events: the last ${target.size - size} that ${target.label} covers are gone (truncated)` +
      (lost !== null ? `, from position ${lost} on` : ''),
    lost,
  );
};

/**
 * Recomputes the evidence tree from the log, as stored, and holds it to every signed checkpoint:
 * each signature must verify, and the log's first `size` events must hash to each checkpoint's
 * root (so every checkpoint is a prefix of the same log: consistent with each other). Streams the
 * log in pages; memory holds the leaves since the last checkpoint passed, nothing more.
 */
export const verifyLog = async (opts: VerifyLogOptions): Promise<LogVerification> => {
  const targets = targetsOf(opts.key, opts.checkpoints);
  if (!Array.isArray(targets)) return targets;
  const compact = new CompactTree(binaryTreeHasher);
  let next = 0;
  let windowFrom = 0;
  let leaves: string[] = [];
  const window = () => ({ from: windowFrom, leaves: leaves.map(bytesOfBinary), positions });
  let positions: bigint[] = [];
  let firstUncovered: bigint | null = null;
  const covered = targets.length > 0 ? targets[targets.length - 1]!.size : 0;
  for await (const page of opts.store.entryPages(null)) {
    for (const r of page) {
      const leaf = binaryTreeHasher.leafOfText(r.entry);
      compact.append(leaf);
      if (compact.size > covered) {
        firstUncovered ??= r.position;
        continue;
      }
      leaves.push(leaf);
      positions.push(r.position);
      const target = targets[next];
      if (target && compact.size === target.size) {
        if (!equalBytes(bytesOfBinary(compact.root()!), target.root))
          return locate(target, window(), opts.tree);
        next++;
        windowFrom = compact.size;
        leaves = [];
        positions = [];
      }
      if (compact.size % PROGRESS_EVERY === 0) opts.onProgress?.(compact.size, r.position);
    }
  }
  const short = targets[next];
  if (short) return shortLog(short, compact.size, window(), opts.tree);
  return {
    ok: true,
    events: compact.size,
    checkpoints: targets.length,
    coveredSize: covered,
    uncovered: compact.size - covered,
    firstUncoveredPosition: firstUncovered,
  };
};
