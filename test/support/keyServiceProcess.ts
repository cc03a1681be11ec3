import { mkdirSync } from 'node:fs';
import type { KeyServiceClientOptions } from '../../src/io/keys/keyServiceClient.js';
import { exited, listeningOn, startCli } from './cli.js';

export const KEY_SERVICE_TOKEN = 'key-service-test-token-0123456789abcdef';

export type KeyServiceProcess = {
  readonly client: KeyServiceClientOptions;
  readonly dataDir: string;
  readonly port: number;
  output(): string;
  /** SIGKILL: dies at once, wherever it is (mid-write included). */
  kill(): void;
  stop(): Promise<void>;
};

/** `thread-ledger key-service` as a real process on loopback; `port` 0 picks a free one. */
export const startKeyServiceProcess = async (
  dataDir: string,
  port = 0,
): Promise<KeyServiceProcess> => {
  mkdirSync(dataDir, { recursive: true });
  const child = startCli(
    ['key-service', '--data', dataDir, '--host', '127.0.0.1', '--port', String(port)],
    {
      KEY_SERVICE_TOKEN,
      LEDGER_LOG: 'off',
    },
  );
  const url = await listeningOn(child);
  if (!url) throw new Error(`the key service did not start:\n${child.output()}`);
  return {
    client: { url, token: KEY_SERVICE_TOKEN, attempts: 2 },
    dataDir,
    port: Number(new URL(url).port),
    output: () => child.output(),
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited(child);
    },
  };
};
