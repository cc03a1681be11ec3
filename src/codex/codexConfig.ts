import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';

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
    return { provider: DEFAULT_MODEL_PROVIDER, problem: `config.toml does not parse (${(err as Error).message.split('\n')[0]})` };
  }
  const configured = doc['model_provider'];
  if (configured === undefined) return { provider: DEFAULT_MODEL_PROVIDER, problem: null };
  if (typeof configured !== 'string') return { provider: DEFAULT_MODEL_PROVIDER, problem: 'config.toml: model_provider is not a string' };
  const table = doc['model_providers'];
  const custom = typeof table === 'object' && table !== null && !Array.isArray(table) && Object.hasOwn(table, configured);
  if (BUILT_IN_MODEL_PROVIDERS.includes(configured) || custom) return { provider: configured, problem: null };
  return { provider: DEFAULT_MODEL_PROVIDER, problem: `config.toml: model provider \`${configured}\` not found` };
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
    if (key !== 'absent') {
      try {
        text = await readFile(this.path, 'utf8');
      } catch {
        text = null;
      }
    }
    const r = resolveModelProvider(text);
    if (r.problem) this.warn(`warning: ${r.problem}; listing the threads of \`${DEFAULT_MODEL_PROVIDER}\` by default`);
    this.cached = { key, provider: r.provider };
    return r.provider;
  }
}
