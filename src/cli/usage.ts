import type { Command } from './command.js';
import { COMMON_HELP, OPTION_HELP, type OptionHelp } from './options.js';

const entry = ([label, first, ...rest]: readonly string[]): string =>
  [`  ${label!.padEnd(18)}  ${first ?? ''}`, ...rest.map((line) => `${' '.repeat(22)}${line}`)]
    .map((line) => `${line}\n`)
    .join('');

const option = (o: OptionHelp): string => entry([o.label, ...o.lines]);

const HEAD = 'thread-ledger: event-sourced lifecycle and durable deletion of agent threads\n\n';

/** The usage text, from the commands and the options: each said once, where it is defined. */
export const usage = (commands: readonly Command[]): string => {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    HEAD,
    'Usage:\n',
    ...commands.map((c) => `  thread-ledger ${c.name.padEnd(width)} ${c.usage}\n`),
    `  thread-ledger ${'<command>'.padEnd(width)} --help    that command's flags\n`,
    '  thread-ledger --version\n',
    '\nCommands:\n',
    ...commands.map((c) => entry([c.name, c.summary])),
    '\nOptions:\n',
    ...OPTION_HELP.map(option),
    ...COMMON_HELP.map(option),
    ...commands.flatMap((c) => (c.notes ? [entry([c.name, ...c.notes])] : [])),
  ].join('');
};

/** `thread-ledger <command> --help`: what it does, its usage line, and only the flags it takes. */
export const commandHelp = (c: Command): string =>
  [
    `thread-ledger ${c.name}: ${c.summary}\n\n`,
    'Usage:\n',
    `  thread-ledger ${c.name} ${c.usage}\n`,
    ...(c.notes ? ['\n', ...c.notes.map((line) => `${line}\n`)] : []),
    '\nOptions:\n',
    ...OPTION_HELP.filter((o) => o.flags.some((f) => c.flags.includes(f))).map(option),
    ...COMMON_HELP.map(option),
  ].join('');
