import { delimiter, join, resolve } from 'node:path';

export type Config = {
  readonly dataDir: string;
  readonly rolloutRoots: string[];
  readonly host: string;
  readonly port: number;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Flags win over the environment, the environment over the defaults. */
export const loadConfig = (
  flags: { data?: string | undefined; 'rollout-root'?: string[] | undefined; host?: string | undefined; port?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Config => {
  const dataDir = resolve(flags.data ?? env['LEDGER_DATA_DIR'] ?? './data');
  const roots = flags['rollout-root']?.length
    ? flags['rollout-root']
    : env['LEDGER_ROLLOUT_ROOTS']
      ? env['LEDGER_ROLLOUT_ROOTS'].split(delimiter).filter(Boolean)
      : [join(dataDir, 'rollouts')];
  const portText = flags.port ?? env['PORT'] ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${portText}"`);
  }
  return { dataDir, rolloutRoots: roots.map((r) => resolve(r)), host: flags.host ?? env['HOST'] ?? '127.0.0.1', port };
};
