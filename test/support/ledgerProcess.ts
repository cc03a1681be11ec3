import { exited, startCli } from './cli.js';
import { RpcClient, type RpcReply } from './rpcClient.js';

/** Rejects after `ms`: nothing a spec waits on may hang it. */
export const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/** Polls `check` every `everyMs` until it answers true, at most `ms`; answers whether it did. */
export const waitFor = async (check: () => boolean, ms: number, everyMs = 20): Promise<boolean> => {
  const until = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

/**
 * `thread-ledger app-server` on a Codex home, as a child process, with its notifications kept:
 * every request bounded in time; SIGKILL on demand.
 */
export class LedgerAppServer {
  readonly rpc: RpcClient;

  private constructor(
    readonly child: ReturnType<typeof startCli>,
    private readonly timeoutMs: number,
  ) {
    this.rpc = new RpcClient(child);
  }

  /** Started and initialized (import of the home done: it runs before the server answers). */
  static async start(
    home: string,
    env: NodeJS.ProcessEnv = {},
    timeoutMs = 15_000,
  ): Promise<LedgerAppServer> {
    const child = startCli(['app-server'], { CODEX_HOME: home, LEDGER_DATA_DIR: '', ...env });
    const server = new LedgerAppServer(child, timeoutMs);
    try {
      await server.result('initialize', { clientInfo: { name: 'delete-e2e', version: '1' } });
      server.rpc.sendRaw(JSON.stringify({ method: 'initialized' }));
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    return server;
  }

  get output(): string {
    return this.child.output();
  }

  call(method: string, params?: unknown, ms = this.timeoutMs): Promise<RpcReply> {
    return within(this.rpc.call(method, params), ms, `thread-ledger ${method}`).catch(
      (e: Error) => {
        throw new Error(`${e.message}\noutput:\n${this.output.slice(-3000)}`);
      },
    );
  }

  async result<T = Record<string, unknown>>(
    method: string,
    params?: unknown,
    ms = this.timeoutMs,
  ): Promise<T> {
    const r = await this.call(method, params, ms);
    if (r.error) throw new Error(`thread-ledger ${method}: ${r.error.code} ${r.error.message}`);
    return r.result as T;
  }

  /** SIGKILL, and wait (bounded) until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = exited(this.child);
    this.child.kill('SIGKILL');
    await within(gone, 5_000, 'SIGKILLed app-server exit');
  }

  /** End of input, as a client closing: waits for the exit (SIGKILL after 5 s). */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return { code: this.child.exitCode, signal: this.child.signalCode };
    const gone = exited(this.child);
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const r = await gone;
    clearTimeout(timer);
    return r;
  }
}
