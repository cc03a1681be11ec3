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
  help: { type: 'boolean', short: 'h' },
} as const;

/** What the usage says of each flag: its label, then its lines. */
export const OPTION_HELP: readonly (readonly [string, ...string[]])[] = [
  [
    '--data DIR',
    'data folder: event log, key store, read models (env LEDGER_DATA_DIR, default ./data)',
  ],
  [
    '--rollout-root DIR',
    'the only folders rollout files may be deleted from; repeatable',
    "(env LEDGER_ROLLOUT_ROOTS, separated by ':'; default DATA/rollouts)",
  ],
  [
    '--host H, --port P',
    'where serve listens (env HOST, PORT; default 127.0.0.1:8080); without',
    'tokens (env LEDGER_TOKENS or LEDGER_TOKENS_FILE) only on loopback',
  ],
  ['--batch-size N', 'worker: threads per pass (default 5000)'],
  [
    '--codex-home DIR',
    'app-server, import: the Codex home (env CODEX_HOME, default ~/.codex);',
    'their data goes in DIR/thread-ledger unless --data or LEDGER_DATA_DIR says.',
    "serve, worker: work on that home's ledger (the same default data folder);",
    'its deletions purge what Codex keeps there (rollouts, session index,',
    "history, Codex's databases); the rollout roots are its session folders",
  ],
  ['--reason TEXT', 'waive: why the step is waived (required; recorded with who decided)'],
  [
    '--until-idle',
    'worker: exit once no deletion has a step due (exit code 3 if some',
    "still wait on a failed step's retry)",
  ],
];
