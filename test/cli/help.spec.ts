import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exited, startCli } from '../support/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const run = async (args: string[]) => {
  const child = startCli(args);
  const { code } = await exited(child);
  return { code, output: child.output() };
};

describe('thread-ledger --version and --help', () => {
  it('--version (and -V) prints the version, and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.output).toBe(`thread-ledger ${pkg.version}\n`);
    }
  });

  it("--help lists every command, with what it does, and says how to get one command's flags", async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const name of [
      'serve',
      'worker',
      'rebuild',
      'key-service',
      'app-server',
      'import',
      'evidence-key',
      'verify',
    ])
      expect(r.output).toMatch(new RegExp(`^  thread-ledger ${name} +\\[`, 'm'));
    expect(r.output).toMatch(/^ {2}thread-ledger receipt +THREAD_ID \[--data DIR\]$/m);
    expect(r.output).toMatch(/^ {2}thread-ledger verify-receipt FILE --key KEYFILE$/m);
    expect(r.output).toContain("thread-ledger <command>      --help    that command's flags");
    expect(r.output).toContain('thread-ledger --version');
  });

  it('<command> --help shows that command, and the flags it takes only', async () => {
    const [serve, rebuild, worker, importHelp] = await Promise.all([
      run(['serve', '--help']),
      run(['rebuild', '-h']),
      run(['worker', '--help']),
      run(['import', '--help']),
    ]);
    for (const r of [serve, rebuild, worker, importHelp]) expect(r.code).toBe(0);
    expect(serve.output).toMatch(/^thread-ledger serve: the HTTP service/);
    expect(serve.output).toContain('--host H, --port P');
    expect(serve.output).not.toContain('--until-idle');
    expect(serve.output).not.toContain('--batch-size');

    expect(rebuild.output).toMatch(/^thread-ledger rebuild: /);
    expect(rebuild.output).toContain('--data DIR');
    expect(rebuild.output).not.toMatch(/--port|--rollout-root|--codex-home|--until-idle/);

    expect(worker.output).toContain('--until-idle');
    expect(worker.output).toContain('--batch-size N');
    expect(worker.output).not.toContain('--port');

    expect(importHelp.output).toContain('--codex-home DIR');
    expect(importHelp.output).not.toMatch(/--port|--rollout-root|--until-idle/);
  });

  it('the evidence commands: each --help shows its own flags only', async () => {
    const [receipt, key, verifyReceipt, verify] = await Promise.all([
      run(['receipt', '--help']),
      run(['evidence-key', '--help']),
      run(['verify-receipt', '--help']),
      run(['verify', '--help']),
    ]);
    for (const r of [receipt, key, verifyReceipt, verify]) expect(r.code).toBe(0);
    expect(receipt.output).toMatch(/^thread-ledger receipt: /);
    expect(receipt.output).toContain('--data DIR');
    expect(receipt.output).not.toMatch(/^ {2}(--key|--checkpoint|--host)/m);
    expect(key.output).toMatch(/^thread-ledger evidence-key: /);
    expect(verifyReceipt.output).toContain('--key KEYFILE');
    expect(verifyReceipt.output).not.toMatch(/^ {2}(--data|--checkpoint)/m);
    expect(verify.output).toContain('--checkpoint FILE');
    expect(verify.output).toContain('--key KEYFILE');
    expect(verify.output).toContain('--data DIR');
  });
});
