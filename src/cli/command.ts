import type { CommandName, ConfigOf } from '../main/config.js';
import type { FlagName } from './options.js';

/** One `thread-ledger` command: how the usage shows it, and what it does with its configuration. */
export type Command<N extends CommandName = CommandName> = {
  readonly name: N;
  /** What it does, in one line (the usage and its own --help). */
  readonly summary: string;
  /** The flags it takes: its --help shows those. */
  readonly flags: readonly FlagName[];
  /** Its arguments, as the usage line shows them. */
  readonly usage: string;
  /** What the Options section says of this command beyond its options, if anything. */
  readonly notes?: readonly string[];
  /** Runs it: resolves to the exit code once done (a server once listening, and lives on). */
  run(config: ConfigOf<N>): Promise<number>;
};
