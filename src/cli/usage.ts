import type { Command } from './command.js';
import { OPTION_HELP } from './options.js';

const entry = ([label, first, ...rest]: readonly string[]): string =>
  [`  ${label!.padEnd(18)}  ${first ?? ''}`, ...rest.map((line) => `${' '.repeat(22)}${line}`)]
    .map((line) => `${line}\n`)
    .join('');

/** The usage text, from the commands and the options: each said once, where it is defined. */
export const usage = (commands: readonly Command[]): string =>
  [
    'thread-ledger: event-sourced lifecycle and durable deletion of agent threads\n\n',
    'Usage:\n',
    ...commands.map((c) => `  thread-ledger ${c.name.padEnd(8)} ${c.usage}\n`),
    '\nOptions:\n',
    ...OPTION_HELP.map(entry),
    ...commands.flatMap((c) => (c.notes ? [entry([c.name, ...c.notes])] : [])),
  ].join('');
