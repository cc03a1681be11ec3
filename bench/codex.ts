// The Codex section of `npm run bench`: a generated CODEX_HOME of 10k rollouts, driven over stdio.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { writeRollout } from '../test/support/codexHomeFixture.js';
import { RpcClient } from '../test/support/rpcClient.js';
import { ms, quantiles } from './machine.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `total` rollouts: roots of every interactive source, and one 200-thread binary subagent tree. */
const generate = (home: string, total: number, subtree: number): string => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const one = (parent: string | null, depth: number) => {
    const id = uuidv7();
    clock += 17 * 60_000; // spread over many days, as a real home is
    writeRollout(home, {
      id,
      parent,
      depth,
      archived: false,
      name: null,
      source: ['cli', 'vscode', 'exec'][clock % 3]!,
      cwd: `/home/dev/project-${clock % 7}`,
      preview: `please look at issue ${clock}`,
      createdAt: new Date(clock),
    });
    return id;
  };
  const tree: string[] = [one(null, 0)];
  for (let i = 1; i < subtree; i++) {
    const parentIndex = Math.floor((i - 1) / 2);
    tree.push(one(tree[parentIndex]!, Math.floor(Math.log2(i + 1))));
  }
  for (let i = subtree; i < total; i++) one(null, 0);
  return tree[0]!;
};

export const benchCodex = async (out: (line: string) => void, quick: boolean): Promise<void> => {
  const total = quick ? 2000 : 10_000;
  const home = mkdtempSync(join(tmpdir(), 'thread-ledger-codex-'));
  try {
    const treeRoot = generate(home, total, 200);
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'app-server'], {
      cwd: root,
      env: { ...process.env, CODEX_HOME: home, LEDGER_DATA_DIR: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const rpc = new RpcClient(child);
    await rpc.result('initialize', { clientInfo: { name: 'bench', version: '1' } });
    const first = await rpc.result<{ data: unknown[] }>('thread/list', { limit: 50 });
    const startup = performance.now() - t0;
    if (first.data.length !== 50) throw new Error('the first page is not full');
    out(`| app-server start-up, import of ${total.toLocaleString('en')} rollouts, to the first \`thread/list\` page | ${ms(startup)} ms (${Math.round(total / (startup / 1000)).toLocaleString('en')} rollouts/s) |`);

    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      await rpc.result('thread/list', { limit: 50 });
      times.push(performance.now() - s);
    }
    const q = quantiles(times);
    out(`| \`thread/list\` (50 rows) at ${total.toLocaleString('en')} rollouts, end to end over stdio, quick scan included | p50 ${ms(q.p50)} ms, p99 ${ms(q.p99)} ms |`);

    const s = performance.now();
    const r = await rpc.call('thread/delete', { threadId: treeRoot });
    const took = performance.now() - s;
    if (r.error) throw new Error(r.error.message);
    const notified = rpc.takeNotifications().filter((n) => n.method === 'thread/deleted').length;
    out(`| \`thread/delete\` of a 200-thread subtree over stdio: files, session index, keys, every \`thread/deleted\` (${notified}) | ${ms(took)} ms |`);
    child.stdin!.end();
    await new Promise((res) => child.once('exit', res));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
};
