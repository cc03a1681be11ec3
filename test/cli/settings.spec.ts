import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, startCli } from '../support/cli.js';
import { tempDir } from '../support/tempDir.js';

type TempDir = Awaited<ReturnType<typeof tempDir>>;

const NO_STACK = /\n\s+at /;

/** The lines a refused process wrote (it writes only its refusal). */
const lines = (output: string): string[] => output.trimEnd().split('\n');

describe('thread-ledger refuses a setting it cannot use, in one line naming it, before opening anything', () => {
  let dir: TempDir;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const fresh = async () => {
    dir = await tempDir();
    cleanups.push(() => dir.remove());
    return dir.path;
  };

  it('a LEDGER_TOKENS_FILE that does not exist: exit 2, one line, no data folder made', async () => {
    const root = await fresh();
    const data = join(root, 'data');
    const child = startCli(['serve', '--data', data], {
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_TOKENS: '',
      LEDGER_TOKENS_FILE: join(root, 'tokens.json'),
    });
    expect((await exited(child)).code).toBe(2);
    expect(lines(child.output())).toEqual([
      `thread-ledger: LEDGER_TOKENS_FILE: cannot read ${join(root, 'tokens.json')}: ENOENT: no such file or directory, open '${join(root, 'tokens.json')}'`,
    ]);
    expect(existsSync(data)).toBe(false);
  });

  it('a data folder that is a file, or lies under one: exit 2, one line naming --data / LEDGER_DATA_DIR', async () => {
    const root = await fresh();
    const file = join(root, 'data');
    writeFileSync(file, 'not a folder');
    const runs = (
      [
        [['serve', '--data', file], {}],
        [['worker', '--until-idle'], { LEDGER_DATA_DIR: join(file, 'below') }],
        [['rebuild', '--data', join(file, 'below', 'deeper')], {}],
        [['key-service', '--data', file, '--port', '0'], { KEY_SERVICE_TOKEN: 'k'.repeat(32) }],
      ] as const
    ).map(([args, env]) =>
      startCli([...args], { HOST: '127.0.0.1', PORT: '0', LEDGER_TOKENS: '', ...env }),
    );
    for (const child of runs) {
      expect((await exited(child)).code, child.output()).toBe(2);
      expect(lines(child.output())).toEqual([
        `thread-ledger: the data folder (--data or LEDGER_DATA_DIR): ${file} is a file, not a folder`,
      ]);
    }
    expect(readdirSync(root)).toEqual(['data']);
  });

  it('a rollout root that is a file is refused; one that does not exist is created, and said', async () => {
    const root = await fresh();
    const file = join(root, 'rollouts-file');
    writeFileSync(file, '');
    const refused = startCli(['worker', '--data', join(root, 'data'), '--until-idle'], {
      LEDGER_ROLLOUT_ROOTS: file,
    });
    expect((await exited(refused)).code).toBe(2);
    expect(lines(refused.output())).toEqual([
      `thread-ledger: the rollout root (--rollout-root or LEDGER_ROLLOUT_ROOTS): ${file} is a file, not a folder`,
    ]);
    expect(existsSync(join(root, 'data'))).toBe(false);

    const missing = join(root, 'not', 'yet');
    mkdirSync(join(root, 'there'));
    const created = startCli([
      'worker',
      '--data',
      join(root, 'data'),
      '--rollout-root',
      missing,
      '--rollout-root',
      join(root, 'there'),
      '--until-idle',
    ]);
    expect((await exited(created)).code, created.output()).toBe(0);
    expect(created.output()).toContain(
      `thread-ledger: rollout root ${missing} did not exist: created it`,
    );
    expect(created.output()).not.toContain(`rollout root ${join(root, 'there')}`);
    expect(existsSync(missing)).toBe(true);
  });

  it('a port in use: exit 2, one line naming HOST and PORT, the stores closed, no stack trace', async () => {
    const root = await fresh();
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const child = startCli(['serve', '--data', join(root, 'data')], {
      HOST: '127.0.0.1',
      PORT: String(port),
      LEDGER_TOKENS: '',
      LEDGER_LOG: 'off',
    });
    expect((await exited(child)).code).toBe(2);
    const output = child.output();
    expect(output).toContain(
      `thread-ledger: cannot listen on HOST=127.0.0.1 PORT=${port}: 127.0.0.1:${port} is already in use`,
    );
    expect(output).not.toMatch(NO_STACK);
    expect(output).not.toContain('EADDRINUSE');
    // Closed, not left half-open: SQLite's write-ahead logs are folded back and removed at close.
    expect(readdirSync(join(root, 'data')).filter((f) => f.endsWith('-wal'))).toEqual([]);
  });
});
