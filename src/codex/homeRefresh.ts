import { type CodexHomeWatch, eventsSeen } from './codexHomeWatch.js';

/** An import of what Codex wrote meanwhile (CodexImporter's quick run). */
export type HomeImport = { run(): Promise<unknown> };

/**
 * The import before a `thread/list` (or a delete), run only when the home changed since the last
 * one began. Without a healthy watch, it runs every time (the quick scan).
 * A rollout Codex finished writing before the client sent its request is seen: the check waits
 * for the events already queued (`eventsSeen`, one turn of the loop: microseconds).
 */
export class HomeRefresh implements HomeImport {
  /** The watch's generation when the last import that completed began. */
  private imported: number | null = null;

  constructor(
    private readonly importer: HomeImport,
    private readonly watch: CodexHomeWatch | null,
  ) {}

  async run(): Promise<void> {
    const watch = this.watch;
    if (!watch?.healthy) {
      await this.importer.run();
      return;
    }
    await eventsSeen();
    const generation = watch.generation;
    if (watch.healthy && generation === this.imported) return;
    await this.importer.run();
    if (this.imported === null || generation > this.imported) this.imported = generation;
  }
}
