/** The flags of every command, for `node:util` parseArgs (a command ignores those it has no use for). */
export const OPTIONS = {
  data: { type: 'string' },
  'rollout-root': { type: 'string', multiple: true },
  host: { type: 'string' },
  port: { type: 'string' },
  'batch-size': { type: 'string' },
  'until-idle': { type: 'boolean' },
  'codex-home': { type: 'string' },
  reason: { type: 'string' },
  key: { type: 'string' },
  checkpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** A flag a command may take (beside --help and --version, which every command takes). */
export type FlagName = Exclude<keyof typeof OPTIONS, 'help' | 'version'>;

/** What the usage says of a flag (or of flags that go together): its label, then its lines. */
export type OptionHelp = {
  readonly flags: readonly FlagName[];
  readonly label: string;
  readonly lines: readonly [string, ...string[]];
};

export const OPTION_HELP: readonly OptionHelp[] = [
  {
    flags: ['data'],
    label: '--data DIR',
    lines: ['data folder: event log, key store, read models (env LEDGER_DATA_DIR, default ./data)'],
  },
  {
    flags: ['rollout-root'],
    label: '--rollout-root DIR',
    lines: [
      'the only folders rollout files may be deleted from; repeatable',
      "(env LEDGER_ROLLOUT_ROOTS, separated by ':'; default DATA/rollouts);",
      'one that does not exist is created (and said)',
    ],
  },
  {
    flags: ['host', 'port'],
    label: '--host H, --port P',
    lines: [
      'where serve or key-service listens (env HOST, PORT; default 127.0.0.1,',
      'port 8080 for serve, 8090 for key-service); serve without tokens',
      '(env LEDGER_TOKENS or LEDGER_TOKENS_FILE) only on loopback',
    ],
  },
  {
    flags: ['batch-size'],
    label: '--batch-size N',
    lines: ['worker: threads per pass (default 5000)'],
  },
  {
    flags: ['codex-home'],
    label: '--codex-home DIR',
    lines: [
      'app-server, import: the Codex home (env CODEX_HOME, default ~/.codex);',
      'their data goes in DIR/thread-ledger unless --data or LEDGER_DATA_DIR says.',
      "serve, worker: work on that home's ledger (the same default data folder);",
      'its deletions purge what Codex keeps there (rollouts, session index,',
      "history, Codex's databases); the rollout roots are its session folders",
    ],
  },
  {
    flags: ['reason'],
    label: '--reason TEXT',
    lines: ['waive: why the step is waived (required; recorded with who decided)'],
  },
  {
    flags: ['key'],
    label: '--key KEYFILE',
    lines: [
      'verify-receipt, verify: the verifier key to hold the signatures to, a file',
      'holding its one line (<name>+<key id hex>+<base64>, as evidence-key prints it);',
      "verify without it uses the data folder's own signing key",
    ],
  },
  {
    flags: ['checkpoint'],
    label: '--checkpoint FILE',
    lines: [
      'verify: a signed checkpoint an auditor kept (GET /v1/evidence/checkpoint):',
      'the log must still hold the tree it signed',
    ],
  },
  {
    flags: ['until-idle'],
    label: '--until-idle',
    lines: [
      'worker: exit once no deletion has a step due (exit code 3 if some',
      "still wait on a failed step's retry)",
    ],
  },
];

/** Every command takes these. */
export const COMMON_HELP: readonly OptionHelp[] = [
  { flags: [], label: '-h, --help', lines: ['this help'] },
  { flags: [], label: '-V, --version', lines: ["thread-ledger's version"] },
];
