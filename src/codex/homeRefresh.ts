import type { CodexHomeWatch } from './codexHomeWatch.js';

/** An import of what Codex wrote meanwhile (CodexImporter's quick run). */
export type HomeImport = { run(): Promise<unknown> };

/** One turn of the event loop: its poll phase delivers the inotify events already queued. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The import before a `thread/list` (or a delete), run only when the home changed since the last
 * one began. Without a healthy watch, it runs every time (the quick scan).
 *
 * A rollout Codex finished writing before the client sent its request has its inotify event queued
 * in the kernel before the request's bytes reached stdin; the request may be read in the same poll
 * phase, before that event's callback. So the check waits one turn of the loop (setImmediate,
 * microseconds), after which every event queued before the request has been seen.
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
    await nextTurn();
    const generation = watch.generation;
    if (watch.healthy && generation === this.imported) return;
    await this.importer.run();
    if (this.imported === null || generation > this.imported) this.imported = generation;
  }
}
