import { readFileSync } from 'node:fs';

/** What the process says to its operator, on stderr (stdout may be a protocol's). */
export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** On SIGINT or SIGTERM: `stop`, then exit 0. */
export const onSignals = (stop: () => Promise<void>): void => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stop().then(() => process.exit(0));
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
