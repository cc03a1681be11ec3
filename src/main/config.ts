import { homedir, userInfo } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { CodexHome } from '../codex/codexHome.js';
import { ThreadId } from '../domain/ids.js';
import { MAX_REASON_LENGTH } from '../domain/threadDecider.js';
import type { KeyServiceTls } from '../io/keys/keyServiceClient.js';
import {
  CodexHomeC,
  checked,
  EventStoreConnection,
  Folder,
  fromText,
  KeyServiceToken,
  KeyServiceUrl,
  LogSwitch,
  optional,
  Port,
  pemFile,
  positiveInteger,
  SigningKeyFile,
  Tokens,
  textFile,
  verifierKeyFile,
} from './settingCodecs.js';

/**
 * The configuration of each command, read once from the flags and the environment: flags win over
 * the environment, the environment over the defaults, and a setting given empty is not given.
 * Every value is decoded by the codecs below, which are the one definition of its shape; a bad
 * value is refused with a message naming the setting, before anything is opened.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The command-line flags, as `node:util` parseArgs gives them. */
export type Flags = {
  readonly data?: string | undefined;
  readonly 'rollout-root'?: string[] | undefined;
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly 'batch-size'?: string | undefined;
  readonly 'until-idle'?: boolean | undefined;
  readonly 'codex-home'?: string | undefined;
  readonly reason?: string | undefined;
  readonly key?: string | undefined;
  readonly checkpoint?: string | undefined;
  /** The command's arguments after its name (waive: THREAD_ID STEP). */
  readonly args?: readonly string[] | undefined;
};

export type Env = Readonly<Record<string, string | undefined>>;

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\./.test(host);

const DataDir = Folder('the data folder (--data or LEDGER_DATA_DIR)');
const RolloutRoot = Folder('the rollout root (--rollout-root or LEDGER_ROLLOUT_ROOTS)');

// --- Sections: the settings that go together ---

/**
 * TLS of the key service and its clients, from PEM files: KEY_SERVICE_TLS_CERT and _KEY (our own
 * certificate: the server's, or a client's for mTLS) and KEY_SERVICE_TLS_CA (the CA the other
 * side's certificate must chain to; on the server it makes client certificates required).
 */
const KeyServiceTlsFiles = checked(
  t.type({
    ca: optional(pemFile('KEY_SERVICE_TLS_CA')),
    cert: optional(pemFile('KEY_SERVICE_TLS_CERT')),
    key: optional(pemFile('KEY_SERVICE_TLS_KEY')),
  }),
  (tls) =>
    !tls.cert !== !tls.key ? 'KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY go together' : undefined,
);

/** The shared key service of a scaled-out deployment, when KEY_SERVICE_URL names one. */
export const KeyServiceClientSettings = checked(
  t.type({ url: KeyServiceUrl, token: KeyServiceToken, tls: KeyServiceTlsFiles }),
  (s) =>
    s.url.startsWith('http://') && (s.tls.ca || s.tls.cert)
      ? 'KEY_SERVICE_TLS_* is set but KEY_SERVICE_URL is http://: use https:// (or unset the TLS files)'
      : undefined,
);
export type KeyServiceClientSettings = t.TypeOf<typeof KeyServiceClientSettings>;

/** The key service's own token and TLS. */
export const KeyServiceServerSettings = checked(
  t.type({ token: KeyServiceToken, tls: KeyServiceTlsFiles }),
  // A CA alone would ask nothing of the clients over plain HTTP: refuse it rather than run open.
  (s) =>
    s.tls.ca && !s.tls.cert
      ? 'KEY_SERVICE_TLS_CA requires KEY_SERVICE_TLS_CERT and KEY_SERVICE_TLS_KEY (the service speaks HTTPS to require client certificates)'
      : undefined,
);

/** Where a ledger keeps its data, what its deletions may touch, where its log and keys are. */
export const LedgerSettings = t.type({
  dataDir: DataDir,
  /**
   * The only folders rollout files may be deleted from (a Codex home's session folders); one that
   * does not exist yet is made at start, and said (openConfiguredLedger).
   */
  rolloutRoots: t.array(RolloutRoot),
  /** The Codex home whose threads this ledger holds and whose copies its deletions purge. */
  codexHome: t.union([CodexHomeC, t.null]),
  eventStoreConnectionString: optional(EventStoreConnection),
  keyService: optional(KeyServiceClientSettings),
  workerBatchSize: optional(positiveInteger('--batch-size')),
  /** LEDGER_SIGNING_KEY_FILE: the checkpoint signing key; by default DATA/evidence-signing.key. */
  signingKeyFile: optional(SigningKeyFile),
});
export type LedgerSettings = t.TypeOf<typeof LedgerSettings>;

export const ListenSettings = t.type({ host: t.string, port: Port });

export const HttpSettings = t.type({
  tokens: Tokens,
  rateLimitPerMinute: optional(positiveInteger('LEDGER_RATE_LIMIT', 'requests a minute per token')),
  logger: LogSwitch,
});

// --- The configuration of each command ---

export const ServeConfig = checked(
  t.type({ ledger: LedgerSettings, listen: ListenSettings, http: HttpSettings }),
  (c) =>
    c.http.tokens.length === 0 && !isLoopback(c.listen.host)
      ? `no tokens configured (LEDGER_TOKENS or LEDGER_TOKENS_FILE): refusing to listen on ${c.listen.host}; use a loopback address or configure tokens`
      : undefined,
);
/** A command argument or flag that must be given: its absence is refused by name. */
const required = <A>(name: string, codec: t.Type<A, unknown>): t.Type<A, unknown> =>
  new t.Type<A, unknown>(
    name,
    codec.is,
    (u, c) => (u === undefined ? t.failure(u, c, `${name} is required`) : codec.validate(u, c)),
    (a) => a,
  );

const isString = (u: unknown): u is string => typeof u === 'string';

/** THREAD_ID: a thread id (a UUID), in any case. */
const ThreadIdArg = required(
  'THREAD_ID',
  fromText('THREAD_ID', ThreadId.is, (text) =>
    ThreadId.is(text.toLowerCase())
      ? E.right(text.toLowerCase() as ThreadId)
      : E.left(`THREAD_ID must be a thread id (a UUID), got ${JSON.stringify(text.slice(0, 80))}`),
  ),
);

/** No argument beyond those named: `command` takes `what`. */
const noMore = (command: string, what: string) =>
  new t.Type<readonly string[], unknown>(
    'arguments',
    (u): u is readonly string[] => Array.isArray(u),
    (u, c) =>
      Array.isArray(u) && u.length === 0
        ? t.success([])
        : t.failure(u, c, `${command} takes ${what}; unexpected: ${(u as string[]).join(' ')}`),
    (a) => a,
  );

/** waive: which step of which thread's deletion, why, and who decides (the operator's login). */
export const WaiverSettings = checked(
  t.type({
    threadId: ThreadIdArg,
    step: required(
      'STEP',
      fromText('STEP', isString, (text) =>
        text === ''
          ? E.left('STEP must be a step key as the deletion record lists it')
          : E.right(text),
      ),
    ),
    reason: required(
      '--reason',
      fromText('--reason', isString, (text) =>
        text.trim() === ''
          ? E.left('--reason must not be empty')
          : text.trim().length > MAX_REASON_LENGTH
            ? E.left(`--reason must be at most ${MAX_REASON_LENGTH} characters`)
            : E.right(text),
      ),
    ),
    actor: t.string,
    extra: t.array(t.string),
  }),
  (w) =>
    w.extra.length > 0
      ? `waive takes THREAD_ID and STEP only; unexpected: ${w.extra.join(' ')}`
      : undefined,
);

export const WorkerConfig = t.type({ ledger: LedgerSettings, untilIdle: t.boolean });
export const RebuildConfig = t.type({ ledger: LedgerSettings });
export const WaiveConfig = t.type({ ledger: LedgerSettings, waiver: WaiverSettings });
export const KeyServiceConfig = t.type({
  dataDir: DataDir,
  listen: ListenSettings,
  keyService: KeyServiceServerSettings,
  logger: LogSwitch,
});
/** receipt: a deleted thread's receipt, from its ledger. */
export const ReceiptConfig = t.type({
  ledger: LedgerSettings,
  threadId: ThreadIdArg,
  extra: noMore('receipt', 'THREAD_ID only'),
});
/** evidence-key: the verifier key of the data folder's signing key (or LEDGER_SIGNING_KEY_FILE's). */
export const EvidenceKeyConfig = t.type({
  dataDir: DataDir,
  signingKeyFile: optional(SigningKeyFile),
  extra: noMore('evidence-key', 'no arguments'),
});
/** verify-receipt: offline, the receipt and a verifier key, nothing of any ledger. */
export const VerifyReceiptConfig = t.type({
  receipt: required('FILE', textFile('FILE')),
  key: required('--key', verifierKeyFile('--key')),
  extra: noMore('verify-receipt', 'FILE only'),
});
/** verify: the log, its kept checkpoints, an auditor's checkpoint, and the key to hold them to. */
export const VerifyConfig = t.type({
  dataDir: DataDir,
  eventStoreConnectionString: optional(EventStoreConnection),
  signingKeyFile: optional(SigningKeyFile),
  key: optional(verifierKeyFile('--key')),
  checkpoint: optional(textFile('--checkpoint')),
  extra: noMore('verify', 'no arguments'),
});
/** app-server and import: always over a Codex home. */
export const CodexConfig = t.type({
  ledger: t.type({ ...LedgerSettings.props, codexHome: CodexHomeC }),
});

const CONFIGS = {
  serve: ServeConfig,
  worker: WorkerConfig,
  rebuild: RebuildConfig,
  waive: WaiveConfig,
  'key-service': KeyServiceConfig,
  'app-server': CodexConfig,
  import: CodexConfig,
  receipt: ReceiptConfig,
  'evidence-key': EvidenceKeyConfig,
  'verify-receipt': VerifyReceiptConfig,
  verify: VerifyConfig,
} as const;

export type CommandName = keyof typeof CONFIGS;
export type ConfigOf<N extends CommandName> = t.TypeOf<(typeof CONFIGS)[N]>;

/** Who runs the command: the login name, as far as it can be told. */
const operatorName = (env: Env): string => {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] || env['LOGNAME'] || 'unknown';
  }
};

/** What the operator wrote, by section, with the defaults that depend on the command applied. */
const given = (command: CommandName, flags: Flags, env: Env) => {
  const text = (s: string | undefined) => (s === '' ? undefined : s);
  const read = (name: string) => text(env[name]);
  // The Codex-facing commands run over the Codex home of the environment, as `codex` does;
  // serve, worker and rebuild over one only when --codex-home names it.
  const codexFacing = command === 'app-server' || command === 'import';
  const homePath =
    text(flags['codex-home']) ??
    (codexFacing ? (read('CODEX_HOME') ?? join(homedir(), '.codex')) : undefined);
  const codexHome = homePath === undefined ? null : new CodexHome(homePath);
  const dataDir =
    text(flags.data) ?? read('LEDGER_DATA_DIR') ?? codexHome?.defaultDataDir ?? './data';
  const rolloutRoots = codexHome
    ? [codexHome.sessionsDir, codexHome.archivedDir]
    : flags['rollout-root']?.length
      ? flags['rollout-root']
      : (read('LEDGER_ROLLOUT_ROOTS')?.split(delimiter).filter(Boolean) ?? [
          join(resolve(dataDir), 'rollouts'),
        ]);
  const tls = {
    ca: read('KEY_SERVICE_TLS_CA'),
    cert: read('KEY_SERVICE_TLS_CERT'),
    key: read('KEY_SERVICE_TLS_KEY'),
  };
  const keyServiceUrl = read('KEY_SERVICE_URL');
  const signingKeyFile = read('LEDGER_SIGNING_KEY_FILE');
  const eventStoreConnectionString = read('EVENTSTORE_CONNECTION_STRING');
  const args = flags.args ?? [];
  return {
    dataDir,
    ledger: {
      dataDir,
      rolloutRoots,
      codexHome,
      eventStoreConnectionString,
      signingKeyFile,
      keyService:
        keyServiceUrl === undefined
          ? undefined
          : { url: keyServiceUrl, token: read('KEY_SERVICE_TOKEN') ?? '', tls },
      workerBatchSize: text(flags['batch-size']),
    },
    listen: {
      host: text(flags.host) ?? read('HOST') ?? '127.0.0.1',
      // The key service listens on 8090 unless told otherwise, beside an instance's 8080.
      port: text(flags.port) ?? read('PORT') ?? (command === 'key-service' ? '8090' : '8080'),
    },
    http: {
      tokens: { json: read('LEDGER_TOKENS'), file: read('LEDGER_TOKENS_FILE') },
      rateLimitPerMinute: read('LEDGER_RATE_LIMIT'),
      logger: read('LEDGER_LOG'),
    },
    logger: read('LEDGER_LOG'),
    keyService: { token: read('KEY_SERVICE_TOKEN') ?? '', tls },
    untilIdle: flags['until-idle'] ?? false,
    // receipt THREAD_ID, verify-receipt FILE, evidence-key, verify
    threadId: args[0],
    receipt: args[0],
    key: text(flags.key),
    checkpoint: text(flags.checkpoint),
    signingKeyFile,
    eventStoreConnectionString,
    extra: command === 'receipt' || command === 'verify-receipt' ? args.slice(1) : args,
    waiver: {
      threadId: flags.args?.[0],
      step: flags.args?.[1],
      reason: text(flags.reason),
      actor: `cli:${operatorName(env)}`,
      extra: flags.args?.slice(2) ?? [],
    },
  };
};

/** The first refusal's message (each names its setting). */
const refusal = (errors: t.Errors): string => {
  const named = errors.find((e) => e.message !== undefined);
  if (named?.message) return named.message;
  const path = errors[0]?.context.map((c) => c.key).filter(Boolean);
  return `the setting ${path?.join('.') ?? ''} is not valid`;
};

const decoded = <A>(codec: t.Type<A, unknown>, raw: unknown): E.Either<ConfigError, A> => {
  const r = codec.decode(raw);
  return E.isLeft(r) ? E.left(new ConfigError(refusal(r.left))) : r;
};

/** The configuration of `command`, every setting it uses read and validated. */
export const loadConfig = <N extends CommandName>(
  command: N,
  flags: Flags,
  env: Env,
): E.Either<ConfigError, ConfigOf<N>> =>
  decoded(CONFIGS[command] as t.Type<ConfigOf<N>, unknown>, given(command, flags, env));

/** The key service's own TLS: its certificate and key, and with a CA, client certificates required. */
export const serverTls = (
  tls: KeyServiceTls,
): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined =>
  tls.cert && tls.key ? { cert: tls.cert, key: tls.key, ca: tls.ca } : undefined;

/** The key service an environment names (KEY_SERVICE_URL, its token and TLS), if any. */
export const loadKeyServiceClient = (
  env: Env = process.env,
): KeyServiceClientSettings | undefined => {
  const r = decoded(optional(KeyServiceClientSettings), given('worker', {}, env).ledger.keyService);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
