import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { exited } from '../support/cli.js';
import { within } from '../support/ledgerProcess.js';
import { userMessage, writeRolloutFile } from '../support/rolloutWriter.js';
import { RpcClient } from '../support/rpcClient.js';
import { tempDir } from '../support/tempDir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ROLLOUTS = 1200;
const ULIMIT = 256;

/** thread-ledger under `ulimit -n`, as a real process. */
const underUlimit = (args: string[], env: NodeJS.ProcessEnv) => {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${ULIMIT}; exec "${process.execPath}" --import tsx src/cli.ts ${args.join(' ')}`,
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return Object.assign(child, { stderr_: () => err });
};

describe(`descriptors stay constant: ${ROLLOUTS} rollouts under ulimit -n ${ULIMIT}`, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('imports every rollout (none skipped for EMFILE), and the app-server holds a handful of descriptors after reading them all', async () => {
    const home = await tempDir();
    cleanups.push(() => home.remove());
    const at = Date.UTC(2026, 0, 1, 3, 4, 5);
    for (let i = 0; i < ROLLOUTS; i++) {
      const t = new Date(at + (i % 30) * 86_400_000 + i * 1000);
      // Rollouts longer than the head the import reads: the rest of each file is never opened for.
      writeRolloutFile(home.path, {
        id: uuidv7(),
        createdAt: t,
        mtime: t,
        provider: 'openai',
        lines: [
          userMessage(`task ${i}`),
          ...Array.from({ length: 50 }, () => userMessage('later')),
        ],
      });
    }

    const imp = underUlimit(['import', '--codex-home', home.path], {});
    const { code } = await within(exited(imp), 60_000, 'import');
    expect(code, imp.stderr_().slice(-2000)).toBe(0);
    expect(imp.stderr_()).not.toContain('EMFILE');
    expect(imp.stderr_()).toContain(
      `${ROLLOUTS} rollouts read, ${ROLLOUTS} threads started, 0 updated, 0 renamed, 0 skipped`,
    );

    // The app-server reads every rollout again at start (a full scan), then answers.
    const server = underUlimit(['app-server'], { CODEX_HOME: home.path, LEDGER_DATA_DIR: '' });
    cleanups.push(async () => {
      server.kill('SIGKILL');
      await exited(server);
    });
    const rpc = new RpcClient(server);
    const init = await within(
      rpc.call('initialize', { clientInfo: { name: 'fd', version: '1' } }),
      60_000,
      'initialize',
    );
    expect(init.error, server.stderr_()).toBeUndefined();
    const list = await within(rpc.call('thread/list', { limit: 1000 }), 30_000, 'thread/list');
    expect((list.result as { data: unknown[] }).data).toHaveLength(1000);
    const open = readdirSync(`/proc/${server.pid}/fd`).length;
    expect(open, `open descriptors after reading ${ROLLOUTS} rollouts`).toBeLessThan(64);
    expect(server.stderr_()).not.toContain('EMFILE');
  });
});
