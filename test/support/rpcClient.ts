import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type RpcReply = { id: unknown; result?: unknown; error?: { code: number; message: string } };
export type Notification = {
  method: string;
  params: Record<string, unknown>;
  emittedAtMs?: number;
};

/** Talks JSON-RPC, one message per line, to an app-server child process. */
export class RpcClient {
  private nextId = 1;
  private readonly waiting = new Map<unknown, (r: RpcReply) => void>();
  /** Every notification received, in order. */
  readonly notifications: Notification[] = [];
  /** Every answer received, in order (none when made with `keepAnswers: false`). */
  readonly answers: RpcReply[] = [];

  /**
   * A bench passes `keepAnswers: false`: a client that holds every answer it ever had makes each of
   * its own garbage collections longer, and that pause would be measured as the server's.
   */
  constructor(
    private readonly child: ChildProcess,
    private readonly options: { keepAnswers: boolean } = { keepAnswers: true },
  ) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = JSON.parse(line) as RpcReply & Partial<Notification>;
      if (m.method !== undefined && m.id === undefined) this.notifications.push(m as Notification);
      else {
        if (this.options.keepAnswers) this.answers.push(m);
        const waiter = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        waiter?.(m);
      }
    });
  }

  sendRaw(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Sends a request and waits for its reply (result or error). */
  call(method: string, params?: unknown, id: unknown = this.nextId++): Promise<RpcReply> {
    const reply = new Promise<RpcReply>((resolve) => this.waiting.set(id, resolve));
    this.sendRaw(JSON.stringify({ id, method, ...(params === undefined ? {} : { params }) }));
    return reply;
  }

  /** Waits for the reply to a request sent raw. */
  replyTo(id: unknown): Promise<RpcReply> {
    return new Promise<RpcReply>((resolve) => this.waiting.set(id, resolve));
  }

  async result<T = Record<string, unknown>>(method: string, params?: unknown): Promise<T> {
    const r = await this.call(method, params);
    if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.result as T;
  }

  takeNotifications(): Notification[] {
    return this.notifications.splice(0);
  }
}
