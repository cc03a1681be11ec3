import { readFileSync } from 'node:fs';

/** What the process says to its operator, on stderr (stdout may be a protocol's). */
export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** A command that cannot do what it was asked, said in one line (exit 2, no stack trace). */
export class CommandRefused extends Error {
  override readonly name = 'CommandRefused';
}

/**
 * On SIGINT or SIGTERM: says it stops, runs `stop` (which stops accepting, finishes what is in
 * flight and closes the stores), says it stopped, and exits 0. A second signal meanwhile exits at
 * once (1).
 */
export const onSignals = (who: string, stop: () => Promise<void>): void => {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) {
        say(`${who}: ${sig} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      say(`${who}: ${sig}: stopping (finishing what is in flight; ${sig} again to exit at once)`);
      stop().then(
        () => {
          say(`${who}: stopped`);
          process.exit(0);
        },
        (err: unknown) => {
          say(`${who}: stopping failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        },
      );
    });
  }
};

/** This package's version (from src/cli/ and dist/cli/ alike, package.json is two folders up). */
export const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
};
