import { WebSocket } from 'ws';
import { exited, listeningOn, startCli } from './cli.js';
import { within } from './ledgerProcess.js';
import { tempDir } from './tempDir.js';

export const TOKENS = {
  writer: 'writer-token-0123456789',
  auditor: 'auditor-token-0123456789',
};
const TOKEN_CONFIG = JSON.stringify([
  { token: TOKENS.writer, subject: 'svc-writer', roles: ['writer', 'auditor'] },
  { token: TOKENS.auditor, subject: 'alice-audit', roles: ['auditor'] },
]);

/** `thread-ledger serve` as a real child process on a fresh data folder, with two tokens. */
export class ServeProcess {
  private constructor(
    readonly child: ReturnType<typeof startCli>,
    readonly base: string,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(
    opts: { args?: string[]; env?: NodeJS.ProcessEnv; dataDir?: string; prefix?: string[] } = {},
  ): Promise<ServeProcess> {
    const dir = opts.dataDir ? null : await tempDir();
    const data = opts.dataDir ?? dir!.path;
    const child = startCli(['serve', '--data', data, ...(opts.args ?? [])], {
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_LOG: 'off',
      LEDGER_TOKENS: TOKEN_CONFIG,
      ...opts.env,
    });
    const base = await listeningOn(child);
    if (!base) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start:\n${child.output()}`);
    }
    return new ServeProcess(child, base, async () => {
      await dir?.remove();
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async request(
    method: string,
    path: string,
    opts: { token?: string | null; body?: string; headers?: Record<string, string> } = {},
  ) {
    const token = opts.token === undefined ? TOKENS.writer : opts.token;
    const res = await within(
      fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        body: opts.body,
      }),
      10_000,
      `${method} ${path}`,
    );
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* text */
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: json as any,
    };
  }

  /** A WebSocket on /rpc, open. */
  async socket(token: string | null = TOKENS.writer): Promise<RpcSocket> {
    const ws = new WebSocket(`${this.base.replace(/^http/, 'ws')}/rpc`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused: ${res.statusCode}`)),
        );
      }),
      10_000,
      'WebSocket open',
    );
    return new RpcSocket(ws);
  }

  async stop(): Promise<void> {
    if (this.alive) {
      const gone = exited(this.child);
      this.child.kill('SIGKILL');
      await gone;
    }
    await this.cleanup();
  }
}

/** JSON-RPC over a WebSocket: every message received, in order. */
export class RpcSocket {
  readonly received: any[] = [];
  closed: { code: number } | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code) => {
      this.closed = { code };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Waits until `n` messages have been received (or the socket closes), at most `ms`. */
  async waitFor(n: number, ms = 10_000): Promise<any[]> {
    const until = Date.now() + ms;
    while (this.received.length < n && !this.closed) {
      if (Date.now() > until)
        throw new Error(`${this.received.length} of ${n} messages within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.received;
  }

  /** The answer with this id (waits for it). */
  async answer(id: unknown, ms = 10_000): Promise<any> {
    const until = Date.now() + ms;
    for (;;) {
      const found = this.received.find((m) => m.id === id && m.method === undefined);
      if (found) return found;
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code}) before the answer to ${String(id)}`);
      if (Date.now() > until) throw new Error(`no answer to ${String(id)} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
