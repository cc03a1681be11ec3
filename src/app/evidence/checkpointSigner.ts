import { equalBytes, utf8 } from '../../evidence/bytes.js';
import { formatCheckpoint, readCheckpoint } from '../../evidence/checkpoint.js';
import { formatNote } from '../../evidence/signedNote.js';
import type { CheckpointStore, KeptCheckpoint } from '../../io/evidence/checkpointStore.js';
import type { SigningKey } from '../../io/evidence/signingKey.js';
import type { EvidenceTreeReader } from '../../projections/evidenceTreeReader.js';
import type { StoredEvent } from '../../store/eventCodec.js';
import type { Clock } from '../clock.js';

export type SigningPolicy = {
  /** Sign once this many events are not covered yet. */
  readonly everyEvents: number;
  /** Sign at most this long after an event that is not covered yet. */
  readonly everyMs: number;
};
export const defaultSigningPolicy: SigningPolicy = { everyEvents: 1000, everyMs: 1000 };

/** The tree contradicts a checkpoint already signed: the log was altered; nothing more is signed. */
export class LogContradictsCheckpoint extends Error {
  override readonly name = 'LogContradictsCheckpoint';
}

/**
 * Signs the evidence tree as C2SP checkpoints: at least every 1,000 events or every second of
 * appends, when a deletion completes, at a clean shutdown, and whenever a receipt needs one.
 * Never a checkpoint that contradicts the last one signed (a log must not sign two inconsistent
 * trees): the tree's root at that size is checked first.
 */
export class CheckpointSigner {
  private timer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly tree: EvidenceTreeReader,
    readonly kept: CheckpointStore,
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly policy: SigningPolicy = defaultSigningPolicy,
    private readonly onError: (err: unknown) => void = (err) => console.error(err),
  ) {}

  /** Signs the tree as it stands, if it grew past the last checkpoint; the latest kept checkpoint. */
  signNow(): KeptCheckpoint | null {
    this.clearTimer();
    const size = this.tree.size();
    const latest = this.kept.latest();
    if (size === 0 || (latest && latest.size >= size)) return latest;
    if (latest) this.checkAgainst(latest);
    const { name, keyId } = this.key.verifier;
    const text = formatCheckpoint({ origin: name, size, root: this.tree.root(size) });
    const signature = this.key.sign(utf8(text));
    this.kept.add({
      size,
      note: formatNote({ text, signatures: [{ name, keyId, signature }] }),
      signedAtMs: this.clock(),
    });
    return this.kept.latest();
  }

  private checkAgainst(latest: KeptCheckpoint): void {
    const signed = readCheckpoint(latest.note);
    if (typeof signed === 'string')
      throw new LogContradictsCheckpoint(`checkpoint ${latest.size} is unreadable: ${signed}`);
    if (!equalBytes(this.tree.root(signed.size), signed.root))
      throw new LogContradictsCheckpoint(
        `the log contradicts the checkpoint signed at size ${signed.size}: nothing more is signed (run thread-ledger verify)`,
      );
  }

  /** Told of each batch the read models applied: signs now, or within the policy's delay. */
  heard(events: readonly StoredEvent[]): void {
    const covered = this.kept.latest()?.size ?? 0;
    const size = this.tree.size();
    if (size <= covered) return;
    const completed = events.some((e) => e.event.type === 'ThreadDeleted');
    if (completed || size - covered >= this.policy.everyEvents) this.trySign();
    else this.timer ??= setTimeout(() => this.trySign(), this.policy.everyMs);
  }

  private trySign(): void {
    try {
      this.signNow();
      this.lastError = null;
    } catch (err) {
      // Said once, not at every batch: the same contradiction stands until an operator acts.
      const message = String(err);
      if (message !== this.lastError) this.onError(err);
      this.lastError = message;
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A clean shutdown: whatever the tree holds is signed before the stores close. */
  close(): void {
    this.clearTimer();
    this.trySign();
  }
}
