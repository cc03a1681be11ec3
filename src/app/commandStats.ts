/**
 * What the repository saw, for /metrics: commands by type and outcome (`applied`, `unchanged`,
 * `replayed`, or the refusal's kind), and appends that lost a race to another writer (then
 * decided again). Scaled out, the conflict rate is how often instances step on each other.
 */
export class CommandStats {
  private readonly counts = new Map<string, number>();
  conflicts = 0;

  count(type: string, outcome: string): void {
    const k = `${type}\n${outcome}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** [type, outcome, count], in a stable order. */
  entries(): [string, string, number][] {
    return [...this.counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, n]) => {
        const [type, outcome] = k.split('\n') as [string, string];
        return [type, outcome, n];
      });
  }
}
