import { appServerCommand } from './appServerCommand.js';
import type { Command } from './command.js';
import { evidenceKeyCommand } from './evidenceKeyCommand.js';
import { importCommand } from './importCommand.js';
import { keyServiceCommand } from './keyServiceCommand.js';
import { rebuildCommand } from './rebuildCommand.js';
import { receiptCommand } from './receiptCommand.js';
import { serveCommand } from './serveCommand.js';
import { verifyCommand } from './verifyCommand.js';
import { verifyReceiptCommand } from './verifyReceiptCommand.js';
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
  receiptCommand,
  evidenceKeyCommand,
  verifyReceiptCommand,
  verifyCommand,
];
