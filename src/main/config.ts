import { readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { KeyServiceClientOptions, KeyServiceTls } from '../io/keys/keyServiceClient.js';
import { MIN_KEY_SERVICE_TOKEN } from '../io/keys/keyServiceWire.js';

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
  flags: {
    data?: string | undefined;
    'rollout-root'?: string[] | undefined;
    host?: string | undefined;
    port?: string | undefined;
  },
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
  return {
    dataDir,
    rolloutRoots: roots.map((r) => resolve(r)),
    host: flags.host ?? env['HOST'] ?? '127.0.0.1',
    port,
  };
};

const pem = (env: NodeJS.ProcessEnv, name: string): Buffer | undefined => {
  const file = env[name];
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${file}: ${(err as Error).message}`);
  }
};

/** KEY_SERVICE_TOKEN: required by the key service and by every instance that uses it. */
export const keyServiceToken = (env: NodeJS.ProcessEnv = process.env): string => {
  const token = env['KEY_SERVICE_TOKEN'] ?? '';
  if (token.length < MIN_KEY_SERVICE_TOKEN) {
    throw new ConfigError(
      `KEY_SERVICE_TOKEN must be set, at least ${MIN_KEY_SERVICE_TOKEN} characters (it guards the content keys)`,
    );
  }
  return token;
};

/**
 * TLS of the key service and its clients, from PEM files: KEY_SERVICE_TLS_CERT and _KEY (our own
 * certificate: the server's, or a client's for mTLS) and KEY_SERVICE_TLS_CA (the CA the other
 * side's certificate must chain to; on the server it makes client certificates required).
 */
export const keyServiceTls = (env: NodeJS.ProcessEnv = process.env): KeyServiceTls => {
  const tls = {
    ca: pem(env, 'KEY_SERVICE_TLS_CA'),
    cert: pem(env, 'KEY_SERVICE_TLS_CERT'),
    key: pem(env, 'KEY_SERVICE_TLS_KEY'),
  };
  if (!tls.cert !== !tls.key)
    throw new ConfigError('KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY go together');
  return tls;
};

/** The key service's own TLS: its certificate and key, and with a CA, client certificates required. */
export const keyServiceServerTls = (
  env: NodeJS.ProcessEnv = process.env,
): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined => {
  const tls = keyServiceTls(env);
  // A CA alone would ask nothing of the clients over plain HTTP: refuse it rather than run open.
  if (tls.ca && !tls.cert)
    throw new ConfigError(
      'KEY_SERVICE_TLS_CA requires KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY (the service speaks HTTPS to require client certificates)',
    );
  return tls.cert && tls.key ? { cert: tls.cert, key: tls.key, ca: tls.ca } : undefined;
};

/** The shared key service of a scaled-out deployment, if KEY_SERVICE_URL names one. */
export const loadKeyServiceClient = (
  env: NodeJS.ProcessEnv = process.env,
): KeyServiceClientOptions | undefined => {
  const url = env['KEY_SERVICE_URL'];
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]+/.test(url))
    throw new ConfigError(`KEY_SERVICE_URL must be an http:// or https:// URL, got "${url}"`);
  const tls = keyServiceTls(env);
  if (url.startsWith('http://') && (tls.ca || tls.cert)) {
    throw new ConfigError(
      `KEY_SERVICE_TLS_* is set but KEY_SERVICE_URL is http://: use https:// (or unset the TLS files)`,
    );
  }
  return { url, token: keyServiceToken(env), tls };
};
