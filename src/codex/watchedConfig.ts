import { lstatSync } from 'node:fs';
import { type CodexHomeWatch, eventsSeen } from './codexHomeWatch.js';

/** Where `thread/list`'s default provider filter comes from. */
export type ModelProviderSource = { modelProvider(): Promise<string> };

/**
 * The configured model provider, asked of config.toml (a stat through the thread pool, up to
 * milliseconds under load) only when the watch saw it change. A config.toml that is a symlink is
 * asked every time: the watch sees the link, not edits to what it points to.
 */
export class WatchedConfig implements ModelProviderSource {
  private cached: { generation: number; provider: string } | null = null;

  constructor(
    private readonly config: ModelProviderSource,
    private readonly path: string,
    private readonly watch: CodexHomeWatch,
  ) {}

  async modelProvider(): Promise<string> {
    if (!this.watch.healthy) return this.config.modelProvider();
    await eventsSeen();
    const generation = this.watch.configGeneration;
    if (this.cached?.generation === generation && this.watch.healthy) return this.cached.provider;
    const linked = lstatSync(this.path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    const provider = await this.config.modelProvider();
    this.cached = linked ? null : { generation, provider };
    return provider;
  }
}
