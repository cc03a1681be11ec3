import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `thread-ledger` from source as a real child process. */
export const startCli = (
  args: string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcess & { output: () => string } => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return Object.assign(child, { output: () => out });
};

export const exited = (
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** The URL the process says it listens on, once it does; undefined if it exits or 10 s pass first. */
export const listeningOn = async (
  child: ChildProcess & { output: () => string },
): Promise<string | undefined> => {
  for (let i = 0; i < 400 && child.exitCode === null; i++) {
    const url = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(child.output())?.[1];
    if (url) return url;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
};
