import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../../app/ledger.js';
import { CodexThreads } from '../../../codex/codexThreads.js';
import { AppServer, encodeMessage } from '../../appServer/appServer.js';
import { notifyDeletedThreads } from '../../appServer/deletedNotifications.js';
import { RpcError } from '../../appServer/rpcErrors.js';
import { type Authenticator, allows, type RoleNeeded, refusalOf } from '../auth.js';
import { authenticate, principalOf } from '../principal.js';
import { problem } from '../problem.js';
import { rpcSchema } from '../rpcDoc.js';

export type RpcSocketOptions = {
  readonly auth: Authenticator;
  /** The Codex use cases take the whole ledger. */
  readonly ledger: Ledger;
  /** The server's version, as `initialize` answers it. */
  readonly version: string;
};

/** What each JSON-RPC method needs, as on `/v1`: reads are for writers and auditors, changes for writers. */
const roleOf = (method: string): RoleNeeded | null =>
  method === 'initialize'
    ? null
    : method === 'thread/list' || method === 'thread/read'
      ? ['writer', 'auditor']
      : 'writer';

/** A client that has this much unsent is too slow to keep: it is dropped, the others go on. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** A client's next message is handled only once less than this is unsent to it. */
const ANSWER_HIGH_WATER = 1024 * 1024;
/** Messages of a client waiting to be handled, at most; its socket is not read beyond that. */
const MAX_PENDING_MESSAGES = 16;
/** How long the close handshakes of the clients are waited for when the server stops. */
const CLOSE_PATIENCE_MS = 2_000;

/**
 * One client's way out: what is unsent to it is counted (a frame counts until ws has written it
 * out), so that its own requests wait while it does not read its answers, and a client that
 * falls too far behind the notifications is dropped.
 */
class ClientOutput {
  private unsent = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly ws: WebSocket) {
    ws.on('close', () => this.release());
  }

  send(text: string): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (this.unsent > MAX_BUFFERED || ws.bufferedAmount > MAX_BUFFERED) {
      ws.terminate();
      return;
    }
    const bytes = Buffer.byteLength(text);
    this.unsent += bytes;
    ws.send(text, () => {
      this.unsent -= bytes;
      if (this.unsent <= ANSWER_HIGH_WATER) this.release();
    });
  }

  /** Resolves once the client can take another answer (or is gone). */
  ready(): Promise<void> | undefined {
    if (this.unsent <= ANSWER_HIGH_WATER || this.ws.readyState !== this.ws.OPEN) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/**
 * The JSON-RPC of `thread-ledger app-server` over WebSocket at `/rpc`, one message per frame.
 * Answers go to the caller; notifications (`thread/deleted`, ...) to every connected client.
 * Needs @fastify/websocket registered (at the root: see server.ts).
 */
export const rpcSocket: FastifyPluginAsync<RpcSocketOptions> = async (app, opts) => {
  const { ledger, version } = opts;
  const clients = new Map<WebSocket, ClientOutput>();
  const broadcast = (m: object) => {
    const text = encodeMessage(m);
    for (const out of clients.values()) out.send(text);
  };
  const threads = new CodexThreads(null, ledger);
  const stopNotifying = notifyDeletedThreads(ledger, broadcast);
  /** The messages being handled, whatever their client: the stores stay open until they are done. */
  const handling = new Set<Promise<void>>();
  /** Each client's socket, until it has closed. */
  const closed = new Map<WebSocket, Promise<void>>();
  // The sockets were told to go (1001, see server.ts): once the messages they sent are handled
  // and their close handshakes are done (or a moment has passed), the ledger may close.
  app.addHook('onClose', async () => {
    stopNotifying();
    await Promise.all(handling);
    const patience = new Promise<void>((r) => setTimeout(r, CLOSE_PATIENCE_MS).unref());
    await Promise.race([Promise.all(closed.values()), patience]);
    for (const socket of closed.keys()) socket.terminate();
  });

  app.route({
    method: 'GET',
    url: '/rpc',
    // In the OpenAPI document: the handshake, the methods and the role each needs.
    schema: rpcSchema(roleOf),
    // Authenticated before the upgrade: a refused client gets a problem document, not a socket.
    preValidation: authenticate(opts.auth),
    // A plain GET (no Upgrade): a problem saying what to send instead of an empty 404.
    handler: async (_req, reply) => {
      reply.header('upgrade', 'websocket');
      throw problem(
        'upgrade-required',
        426,
        'Upgrade Required',
        '/rpc is a WebSocket: send Connection: Upgrade and Upgrade: websocket',
      );
    },
    wsHandler: (socket, req) => {
      const principal = principalOf(req);
      const out = new ClientOutput(socket);
      const server = new AppServer({
        ledger,
        threads,
        importer: null,
        codexHome: null,
        send: (m) => out.send(encodeMessage(m)),
        notify: broadcast,
        outputReady: () => out.ready(),
        actor: principal.subject,
        authorize: (method) => {
          const role = roleOf(method);
          if (role && !allows(principal, role))
            throw new RpcError(-32600, refusalOf(principal, role, method));
        },
        version,
      });
      clients.set(socket, out);
      closed.set(socket, new Promise((r) => socket.once('close', () => r())));
      // Frames over maxPayload (MAX_MESSAGE_BYTES) close the socket with 1009 (Message Too Big).
      // Past MAX_PENDING_MESSAGES waiting, the socket is not read until they are handled.
      let pending = 0;
      socket.on('message', (data: Buffer) => {
        pending++;
        if (pending >= MAX_PENDING_MESSAGES) socket.pause();
        const handled = server.handleLine(data.toString()).then(() => {
          pending--;
          if (
            pending < MAX_PENDING_MESSAGES &&
            socket.isPaused &&
            socket.readyState === socket.OPEN
          )
            socket.resume();
        });
        handling.add(handled);
        void handled.finally(() => handling.delete(handled)).catch(() => undefined);
      });
      socket.on('close', () => {
        clients.delete(socket);
        closed.delete(socket);
      });
    },
  });
};
