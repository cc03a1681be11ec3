import { createInterface } from 'node:readline';
import type { AppServer } from './appServer.js';

/** One JSON message per line on stdin and stdout, as `codex app-server` speaks. Resolves at end of input. */
export const serveStdio = async (makeServer: (send: (m: object) => void) => AppServer): Promise<void> => {
  const server = makeServer((m) => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
  });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let last = Promise.resolve();
  for await (const line of lines) last = server.handleLine(line);
  await last;
};
