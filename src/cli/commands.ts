import { appServerCommand } from './appServerCommand.js';
import type { Command } from './command.js';
import { importCommand } from './importCommand.js';
import { keyServiceCommand } from './keyServiceCommand.js';
import { rebuildCommand } from './rebuildCommand.js';
import { serveCommand } from './serveCommand.js';
import { waiveCommand } from './waiveCommand.js';
import { workerCommand } from './workerCommand.js';

/** Every command, in the order the usage lists them. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  workerCommand,
  rebuildCommand,
  waiveCommand,
  keyServiceCommand,
  appServerCommand,
  importCommand,
];
