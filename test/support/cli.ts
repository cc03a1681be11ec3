import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `thread-ledger` from source as a real child process. */
export const startCli = (args: string[], env: NodeJS.ProcessEnv = {}): CliProcess =>
  captured(
    spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );

/** A CLI process: what it wrote, both streams in order, and each alone. */
export type CliProcess = ChildProcess & {
  output: () => string;
  /** What it wrote to stdout alone (`stdout` is the stream itself). */
  stdoutText: () => string;
  stderrText: () => string;
};

const captured = (child: ChildProcess): CliProcess => {
  let out = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
    stderr += d;
  });
  return Object.assign(child, {
    output: () => out,
    stdoutText: () => stdout,
    stderrText: () => stderr,
  }) as CliProcess;
};

/**
 * `thread-ledger` in a process that has nothing of this checkout around it: an empty
 * environment, `cwd` its working directory (the loader and the CLI named by absolute paths).
 */
export const startCliIsolated = (args: string[], cwd: string): CliProcess =>
  captured(
    spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
        join(root, 'src/cli.ts'),
        ...args,
      ],
      { cwd, env: {}, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );

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
