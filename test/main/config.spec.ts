import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type CommandName, type ConfigOf, loadConfig } from '../../src/main/config.js';

const config = <N extends CommandName>(
  command: N,
  flags: Parameters<typeof loadConfig>[1],
  env: Record<string, string> = {},
): ConfigOf<N> => {
  const r = loadConfig(command, flags, env);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const refusal = (command: CommandName, flags: object, env: Record<string, string>): string => {
  const r = loadConfig(command, flags, env);
  return E.isLeft(r) ? r.left.message : 'accepted';
};

describe('the configuration', () => {
  it('takes a flag over its environment variable, the variable over the default', () => {
    expect(config('serve', { port: '9000' }, { PORT: '9001' }).listen.port).toBe(9000);
    expect(config('serve', {}, { PORT: '9001' }).listen.port).toBe(9001);
    expect(config('serve', {}, {}).listen).toEqual({ host: '127.0.0.1', port: 8080 });
    // The key service's default port is its own, beside an instance's 8080.
    expect(config('key-service', {}, { KEY_SERVICE_TOKEN: 'k'.repeat(32) }).listen.port).toBe(8090);
  });

  it('counts a setting given empty as not given', () => {
    expect(config('serve', {}, { PORT: '', HOST: '', LEDGER_DATA_DIR: '' }).ledger.dataDir).toBe(
      resolve('./data'),
    );
    expect(config('serve', {}, { LEDGER_TOKENS: '' }).http.tokens).toEqual([]);
  });

  it('puts the rollout roots in the data folder unless told, and splits LEDGER_ROLLOUT_ROOTS', () => {
    expect(config('worker', { data: '/d' }, {}).ledger.rolloutRoots).toEqual(['/d/rollouts']);
    expect(config('worker', {}, { LEDGER_ROLLOUT_ROOTS: '/a:/b' }).ledger.rolloutRoots).toEqual([
      '/a',
      '/b',
    ]);
  });

  it('runs app-server and import over the Codex home of the environment, serve over one only when --codex-home names it', () => {
    const codex = config('import', {}, {}).ledger;
    expect(codex.codexHome.root).toBe(join(homedir(), '.codex'));
    expect(codex.dataDir).toBe(join(homedir(), '.codex', 'thread-ledger'));
    const named = config('app-server', {}, { CODEX_HOME: '/h' }).ledger;
    expect([named.dataDir, named.rolloutRoots]).toEqual([
      '/h/thread-ledger',
      ['/h/sessions', '/h/archived_sessions'],
    ]);
    expect(config('serve', {}, { CODEX_HOME: '/h' }).ledger.codexHome).toBeNull();
    expect(config('serve', { 'codex-home': '/h' }, {}).ledger.dataDir).toBe('/h/thread-ledger');
  });

  it('reads the key service for every command that opens a ledger, the Codex ones included', () => {
    const env = { KEY_SERVICE_URL: 'http://127.0.0.1:8090', KEY_SERVICE_TOKEN: 'k'.repeat(32) };
    for (const command of ['serve', 'worker', 'rebuild', 'app-server', 'import'] as const)
      expect(config(command, {}, env).ledger.keyService?.url, command).toBe(env.KEY_SERVICE_URL);
  });

  it('refuses a bad value with a message naming the setting; only the settings a command uses', () => {
    expect(refusal('worker', { 'batch-size': '0' }, {})).toBe(
      '--batch-size must be a positive integer, got "0"',
    );
    expect(refusal('serve', {}, { LEDGER_TOKENS_FILE: '/nonexistent/tokens.json' })).toMatch(
      /^LEDGER_TOKENS_FILE: cannot read \/nonexistent\/tokens.json/,
    );
    expect(refusal('serve', {}, { LEDGER_TOKENS: '[' })).toMatch(/^tokens are not JSON/);
    // A PORT for something else does not stop the app-server, which listens nowhere.
    expect(refusal('app-server', {}, { PORT: 'eighty', CODEX_HOME: '/h' })).toBe('accepted');
  });
});
