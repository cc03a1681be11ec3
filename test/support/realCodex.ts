import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited, startCli } from './cli.js';
import { within } from './ledgerProcess.js';
import { RpcClient, type RpcReply } from './rpcClient.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The reference implementation, `@openai/codex` 0.169.0 (a devDependency). */
export const CODEX_BIN = `${root}node_modules/.bin/codex`;

/** An app-server child process (Codex's or thread-ledger's), spoken to over stdio by request id. */
export class AppServerProcess {
  private readonly rpc: RpcClient;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
    private readonly stderr: () => string,
    private readonly timeoutMs = 15_000,
  ) {
    this.rpc = new RpcClient(child);
  }

  /** `initialize`, then the `initialized` notification, as a Codex client does. */
  async initialize(): Promise<Record<string, unknown>> {
    const r = await this.result('initialize', {
      clientInfo: { name: 'side-by-side', version: '1.0' },
    });
    this.rpc.sendRaw(JSON.stringify({ method: 'initialized' }));
    return r;
  }

  call(method: string, params?: unknown): Promise<RpcReply> {
    return within(this.rpc.call(method, params), this.timeoutMs, `${this.name} ${method}`).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${this.name} stderr:\n${this.stderr().slice(-2000)}`);
      },
    );
  }

  async result<T = Record<string, unknown>>(method: string, params?: unknown): Promise<T> {
    const r = await this.call(method, params);
    if (r.error) throw new Error(`${this.name} ${method}: ${r.error.code} ${r.error.message}`);
    return r.result as T;
  }

  /** Ends the process (stdin closed, then SIGKILL if it lingers) and waits for it, bounded. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    const gone = exited(this.child);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * Starts the real `codex app-server` on a scratch home: CODEX_HOME and HOME both point at it, so it
 * reads no user configuration and writes its SQLite databases there. It needs no login and no
 * network to answer `thread/list` and `thread/read` (measured: it answers within ~0.1-0.3 s of start
 * here; allow several seconds). Initialized before it is returned.
 */
export const startRealCodex = async (home: string): Promise<AppServerProcess> => {
  const child = spawn(CODEX_BIN, ['app-server'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CODEX_HOME: home,
      HOME: home,
      RUST_LOG: 'error',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return initialized(new AppServerProcess(child, 'codex', () => err), child);
};

/** The server once it answered `initialize`; a process that does not is killed, not left behind. */
const initialized = async (
  server: AppServerProcess,
  child: ChildProcess,
): Promise<AppServerProcess> => {
  try {
    await server.initialize();
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return server;
};

/** Starts `thread-ledger app-server` from source on the same kind of home, initialized. */
export const startLedgerAppServer = async (
  home: string,
  env: NodeJS.ProcessEnv = {},
): Promise<AppServerProcess> => {
  const child = startCli(['app-server'], { CODEX_HOME: home, LEDGER_DATA_DIR: '', ...env });
  return initialized(new AppServerProcess(child, 'thread-ledger', () => child.output()), child);
};
