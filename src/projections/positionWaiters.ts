/**
 * Read-your-writes: callers waiting until the events up to a position are applied, and the
 * highest position applied by this process so far.
 */
export class PositionWaiters {
  private highest: bigint | null = null;
  private waiters: { position: bigint; resolve: () => void }[] = [];

  /** The highest position applied by this process; null before any. */
  get applied(): bigint | null {
    return this.highest;
  }

  /** Every event up to `position` is applied: wakes whoever waited for it. */
  reached(position: bigint): void {
    if (this.highest !== null && position <= this.highest) return;
    this.highest = position;
    const ready = this.waiters.filter((w) => w.position <= position);
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const w of ready) w.resolve();
  }

  /**
   * Resolves once `position` is reached. `checkpoint`: where the read models stand, which another
   * writer (a rebuild, another process) may have moved past what this process applied.
   */
  waitFor(position: bigint, checkpoint: () => bigint | null): Promise<void> {
    if (this.highest !== null && this.highest >= position) return Promise.resolve();
    const cp = checkpoint();
    if (cp !== null && cp >= position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position, resolve }));
  }
}
