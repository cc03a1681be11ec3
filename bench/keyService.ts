// The key service section of `npm run bench`: what sharing the content keys across instances costs.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { KeyServiceClient, type KeyServiceClientOptions } from '../src/io/keys/keyServiceClient.js';
import { listeningUrl } from './listening.js';
import { ms, quantiles } from './machine.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_KEY_TOKEN = 'bench-key-service-token-0123456789abcdef';

/** `thread-ledger key-service` as its own process on loopback, as deployed. */
export const startKeyService = async (): Promise<{
  client: KeyServiceClientOptions;
  env: Record<string, string>;
  stop: () => Promise<void>;
}> => {
  const dir = mkdtempSync(join(tmpdir(), 'thread-ledger-keys-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'key-service', '--data', dir, '--port', '0'],
    {
      cwd: root,
      env: { ...process.env, KEY_SERVICE_TOKEN: BENCH_KEY_TOKEN, LEDGER_LOG: 'off' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const url = await listeningUrl(child, 'key-service');
  return {
    client: { url, token: BENCH_KEY_TOKEN },
    env: { KEY_SERVICE_URL: url, KEY_SERVICE_TOKEN: BENCH_KEY_TOKEN },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export const benchKeyClient = async (
  out: (line: string) => void,
  quick: boolean,
  opts: KeyServiceClientOptions,
): Promise<void> => {
  const keys = new KeyServiceClient(opts);
  const SEQ = quick ? 500 : 2000;
  const times: number[] = [];
  for (let i = 0; i < SEQ; i++) {
    const t0 = performance.now();
    await keys.ensure([uuidv7()]);
    times.push(performance.now() - t0);
  }
  const q = quantiles(times);
  out(
    `| key service: a new key (ensure, one thread), one at a time, loopback HTTP + durable write | p50 ${ms(q.p50)} ms, p99 ${ms(q.p99)} ms |`,
  );

  const CONC = quick ? 5000 : 20_000;
  const ids = Array.from({ length: CONC }, () => uuidv7());
  let t0 = performance.now();
  for (let i = 0; i < ids.length; i += 64)
    await Promise.all(ids.slice(i, i + 64).map((id) => keys.ensure([id])));
  out(
    `| key service: new keys, 64 callers at once (one request and one commit per turn of the event loop) | ${Math.round(CONC / ((performance.now() - t0) / 1000)).toLocaleString('en')} keys/s |`,
  );

  t0 = performance.now();
  const rounds = 10;
  for (let r = 0; r < rounds; r++) await keys.getMany(ids.slice(0, 5000));
  out(
    `| key service: read 5,000 keys in one request (a projection batch's worth) | ${ms((performance.now() - t0) / rounds)} ms a batch |`,
  );
  await keys.close();
};
