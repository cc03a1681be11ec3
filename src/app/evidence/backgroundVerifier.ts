import type { Clock } from '../clock.js';
import type { Ledger } from '../ledger.js';
import { type LogVerification, verifyLog } from './logVerifier.js';
import { keptToVerify, verificationRecord } from './verificationRecord.js';

/** How often `serve` verifies the log: every 10 minutes. */
export const VERIFY_EVERY_MS = 10 * 60_000;

export type BackgroundVerifierOptions = {
  readonly everyMs?: number;
  readonly clock?: Clock;
  /** Where errors and contradictions are told (stderr by default). */
  readonly log?: (line: string) => void;
};

/**
 * `serve`'s verification of its own log: at start, then every 10 minutes, the log recomputed into
 * the evidence tree and held to every kept checkpoint (`verifyLog`), each run recorded in
 * evidence.db (`GET /v1/evidence/verification` answers the latest). A contradiction is told on
 * stderr once (again only if another is found); an error is told, never thrown: the service goes
 * on. The timer is unref'd: it never keeps the process up.
 */
export class BackgroundVerifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private told: string | null = null;
  private stopping = false;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;

  constructor(
    private readonly ledger: Pick<Ledger, 'store' | 'evidence'>,
    private readonly opts: BackgroundVerifierOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Verifies now, then every `everyMs`. */
  start(): void {
    if (this.timer) return;
    void this.verifyNow();
    this.timer = setInterval(() => void this.verifyNow(), this.opts.everyMs ?? VERIFY_EVERY_MS);
    this.timer.unref();
  }

  /** One verification, recorded (a run already going is waited for instead of a second one). */
  verifyNow(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      const { store, evidence } = this.ledger;
      const checkpoints = keptToVerify(evidence.signer.kept.all());
      const r: LogVerification = await verifyLog({
        store,
        key: evidence.key.verifier,
        checkpoints,
        tree: evidence.tree,
        // A long run stops at the next progress report once the service is stopping.
        onProgress: () => {
          if (this.stopping) throw new Stopped();
        },
      });
      evidence.signer.kept.verifications.record(
        verificationRecord(r, checkpoints, 'serve', this.clock()),
      );
      if (!r.ok && r.reason !== this.told)
        this.log(`thread-ledger: the log fails verification: ${r.reason}`);
      this.told = r.ok ? null : r.reason;
    } catch (err) {
      if (err instanceof Stopped) return;
      this.log(`thread-ledger: the background verification failed: ${String(err)}`);
    }
  }

  /** No more runs; the one going, if any, ends at its next progress report (unrecorded). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

class Stopped extends Error {}
