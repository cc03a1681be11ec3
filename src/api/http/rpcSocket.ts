import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import { CodexThreads } from '../../app/codexThreads.js';
import type { Ledger } from '../../app/ledger.js';
import { AppServer } from '../appServer/appServer.js';
import { notifyDeletedThreads } from '../appServer/deletedNotifications.js';
import { RpcError } from '../appServer/rpcErrors.js';
import type { Principal, Role } from './auth.js';
import { problem } from './problem.js';
import type { RouteDeps } from './route.js';

/** What each JSON-RPC method needs: reads are for auditors, changes for writers. */
const roleOf = (method: string): Role | null =>
  method === 'initialize' ? null : method === 'thread/list' || method === 'thread/read' ? 'auditor' : 'writer';

/** A client that has this much unsent is too slow to keep: it is dropped, the others go on. */
const MAX_BUFFERED = 4 * 1024 * 1024;

const sendBounded = (ws: WebSocket, text: string): void => {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED) {
    ws.terminate();
    return;
  }
  ws.send(text);
};

/**
 * The JSON-RPC of `thread-ledger app-server` over WebSocket at `/rpc`, one message per frame.
 * Answers go to the caller; notifications (`thread/deleted`, ...) to every connected client.
 */
export const rpcSocketRoute = async (app: FastifyInstance, deps: RouteDeps, ledger: Ledger, version: string): Promise<void> => {
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  const clients = new Set<WebSocket>();
  const broadcast = (m: object) => {
    const text = JSON.stringify(m);
    for (const ws of clients) sendBounded(ws, text);
  };
  const threads = new CodexThreads(null, ledger);
  const stopNotifying = notifyDeletedThreads(ledger, broadcast);
  app.addHook('onClose', async () => stopNotifying());
  const principals = new WeakMap<FastifyRequest, Principal>();

  app.route({
    method: 'GET',
    url: '/rpc',
    // Hidden from the OpenAPI document (as @fastify/websocket hides its routes): it is no HTTP route.
    schema: { hide: true, summary: 'The Codex thread JSON-RPC over WebSocket (notifications to every client)', tags: ['live'], security: [{ bearer: [] }] },
    // Authenticated before the upgrade: a refused client gets a problem document, not a socket.
    preValidation: async (req) => {
      principals.set(req, deps.auth.authenticate(req.headers.authorization, req.headers.origin));
    },
    // A plain GET (no Upgrade): a problem saying what to send instead of an empty 404.
    handler: async (_req, reply) => {
      reply.header('upgrade', 'websocket');
      throw problem('upgrade-required', 426, 'Upgrade Required', '/rpc is a WebSocket: send Connection: Upgrade and Upgrade: websocket');
    },
    wsHandler: (socket, req) => {
      const principal = principals.get(req)!;
      const server = new AppServer({
        ledger,
        threads,
        importer: null,
        codexHome: null,
        send: (m) => sendBounded(socket, JSON.stringify(m)),
        notify: broadcast,
        actor: principal.subject,
        authorize: (method) => {
          const role = roleOf(method);
          if (role && !principal.roles.includes(role)) {
            throw new RpcError(-32600, `${method} needs the ${role} role; ${principal.subject} has ${principal.roles.join(', ') || 'none'}`);
          }
        },
        version,
      });
      clients.add(socket);
      socket.on('message', (data: Buffer) => void server.handleLine(data.toString()));
      socket.on('close', () => clients.delete(socket));
    },
  });
};
