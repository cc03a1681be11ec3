#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { COMMANDS } from './cli/commands.js';
import { OPTIONS } from './cli/options.js';
import { CommandRefused, version } from './cli/processLifetime.js';
import { commandHelp, usage } from './cli/usage.js';
import { SigningKeyError } from './io/evidence/signingKey.js';
import { KeyStoreUnavailableError } from './io/keys/keyStore.js';
import { loadConfig } from './main/config.js';
import { StoreConfigurationError, StoreUnavailableError } from './store/eventStore.js';

/** Exit codes: 1 for a failure at run time, 2 for what the operator asked that cannot be done. */
const FAILED = 1;
const REFUSED = 2;

const USAGE = usage(COMMANDS);

/** What the file system answers that an operator can act on. */
const FILE_SYSTEM_REFUSALS = new Set([
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
]);

const exit = (code: number, message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

/** Parses the arguments, picks the command, reads its configuration, runs it. */
const main = async (argv: string[], env: NodeJS.ProcessEnv): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    return exit(REFUSED, `${(err as Error).message}\n\n${USAGE.trimEnd()}`);
  }
  const { positionals, values } = parsed;
  const name = positionals[0];
  if (values.version) {
    process.stdout.write(`thread-ledger ${version()}\n`);
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS.find((c) => c.name === name);
  if (values.help || name === undefined) {
    process.stdout.write(command ? commandHelp(command) : USAGE);
    return 0;
  }
  if (!command) return exit(REFUSED, `thread-ledger: unknown command "${name}"\n\n${USAGE}`);
  const config = loadConfig(command.name, { ...values, args: positionals.slice(1) }, env);
  if (config._tag === 'Left') return exit(REFUSED, `thread-ledger: ${config.left.message}`);
  return command.run(config.right);
};

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // What an operator can act on is said plainly; anything else is a bug, with its stack.
    if (err instanceof StoreConfigurationError || err instanceof CommandRefused)
      exit(REFUSED, `thread-ledger: ${err.message}`);
    // A folder or file the process cannot use (permissions, a full disk): one line, no stack.
    const fsCode = (err as NodeJS.ErrnoException | undefined)?.code;
    if (fsCode && FILE_SYSTEM_REFUSALS.has(fsCode))
      exit(FAILED, `thread-ledger: ${(err as Error).message}`);
    const text =
      err instanceof StoreUnavailableError
        ? `the event store cannot be reached: ${err.message}`
        : err instanceof KeyStoreUnavailableError || err instanceof SigningKeyError
          ? err.message
          : err instanceof Error
            ? (err.stack ?? err.message)
            : String(err);
    exit(FAILED, `thread-ledger: ${text}`);
  },
);
