import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { readRegularFile } from '../io/fileText.js';
import { NotARegularFile } from '../io/regularFile.js';

/** config.toml is read up to this size; a larger one is unusable (the defaults apply). */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/** The provider Codex uses when config.toml names none (or is unusable). */
export const DEFAULT_MODEL_PROVIDER = 'openai';

/**
 * Providers Codex 0.169.0 knows without a `[model_providers.<id>]` table (measured: `openai`,
 * `ollama`, `lmstudio` are accepted; `oss` or `OLLAMA` make Codex answer "Model provider `X` not
 * found" and fall back to its defaults).
 */
export const BUILT_IN_MODEL_PROVIDERS: readonly string[] = ['openai', 'ollama', 'lmstudio'];

export type ProviderResolution = { provider: string; problem: string | null };

/** The configured provider of a config.toml's text, as Codex resolves it: an unusable file means the defaults. */
export const resolveModelProvider = (text: string | null): ProviderResolution => {
  if (text === null) return { provider: DEFAULT_MODEL_PROVIDER, problem: null };
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    return {
      provider: DEFAULT_MODEL_PROVIDER,
      problem: `config.toml does not parse (${(err as Error).message.split('\n')[0]})`,
    };
  }
  const configured = doc['model_provider'];
  if (configured === undefined) return { provider: DEFAULT_MODEL_PROVIDER, problem: null };
  if (typeof configured !== 'string')
    return {
      provider: DEFAULT_MODEL_PROVIDER,
      problem: 'config.toml: model_provider is not a string',
    };
  const table = doc['model_providers'];
  const custom =
    typeof table === 'object' &&
    table !== null &&
    !Array.isArray(table) &&
    Object.hasOwn(table, configured);
  if (BUILT_IN_MODEL_PROVIDERS.includes(configured) || custom)
    return { provider: configured, problem: null };
  return {
    provider: DEFAULT_MODEL_PROVIDER,
    problem: `config.toml: model provider \`${configured}\` not found`,
  };
};

/**
 * `model_provider` of `CODEX_HOME/config.toml`, re-read when the file changes (size or
 * modification time), so an edit is seen by the next request. A file that does not parse or
 * names an unknown provider gives `openai`, as Codex does ("Invalid configuration; using
 * defaults."), with one warning on stderr per version of the file.
 */
export class CodexConfig {
  private cached: { key: string; provider: string } | null = null;
  private readonly path: string;

  constructor(
    home: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ) {
    this.path = join(home, 'config.toml');
  }

  async modelProvider(): Promise<string> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      key = 'absent';
    }
    if (this.cached?.key === key) return this.cached.provider;
    let text: string | null = null;
    let unreadable: string | null = null;
    if (key !== 'absent') {
      // Only a regular file (a symlink to one is followed, as Codex follows it), and at most
      // CONFIG_MAX_BYTES of it: a FIFO or a device never blocks a list.
      try {
        const read = await readRegularFile(this.path, CONFIG_MAX_BYTES, { followSymlink: true });
        if (read?.truncated) unreadable = `config.toml is larger than ${CONFIG_MAX_BYTES} bytes`;
        else text = read?.text ?? null;
      } catch (err) {
        unreadable = err instanceof NotARegularFile ? `config.toml: ${err.message}` : null;
      }
    }
    const r = unreadable
      ? { provider: DEFAULT_MODEL_PROVIDER, problem: unreadable }
      : resolveModelProvider(text);
    if (r.problem)
      this.warn(
        `warning: ${r.problem}; listing the threads of \`${DEFAULT_MODEL_PROVIDER}\` by default`,
      );
    this.cached = { key, provider: r.provider };
    return r.provider;
  }
}
