import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodexConfig, resolveModelProvider } from '../../src/codex/codexConfig.js';
import { tempDir } from '../support/tempDir.js';

describe('the default model provider of thread/list', () => {
  it('is model_provider of config.toml, openai when unset, absent, unparsable or unknown to Codex', () => {
    expect(resolveModelProvider(null)).toEqual({ provider: 'openai', problem: null });
    expect(resolveModelProvider('model = "gpt-5"\n')).toEqual({
      provider: 'openai',
      problem: null,
    });
    expect(resolveModelProvider('model_provider = "ollama"\n').provider).toBe('ollama');
    expect(resolveModelProvider('[profiles.p]\nmodel_provider = "ollama"\n').provider).toBe(
      'openai',
    ); // top-level key only
    expect(
      resolveModelProvider('model_provider = "mine"\n[model_providers.mine]\nname = "Mine"\n')
        .provider,
    ).toBe('mine');
    expect(resolveModelProvider('model_provider = "oss"\n')).toMatchObject({
      provider: 'openai',
      problem: expect.stringContaining('not found'),
    });
    expect(resolveModelProvider('model_provider = "ollama\n')).toMatchObject({
      provider: 'openai',
      problem: expect.stringContaining('does not parse'),
    });
  });

  it('sees an edit of config.toml, and warns once per broken version of it', async () => {
    const { path: home, remove } = await tempDir('config-');
    try {
      const warnings: string[] = [];
      const config = new CodexConfig(home, (m) => warnings.push(m));
      expect(await config.modelProvider()).toBe('openai');
      const file = join(home, 'config.toml');
      writeFileSync(file, 'model_provider = "ollama"\n');
      expect(await config.modelProvider()).toBe('ollama');
      writeFileSync(file, 'model_provider = "lmstudio"\n');
      utimesSync(file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
      expect(await config.modelProvider()).toBe('lmstudio');
      writeFileSync(file, 'model_provider = = "x"\n');
      utimesSync(file, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000));
      expect(await config.modelProvider()).toBe('openai');
      expect(await config.modelProvider()).toBe('openai');
      expect(warnings).toHaveLength(1);
    } finally {
      await remove();
    }
  });
});
