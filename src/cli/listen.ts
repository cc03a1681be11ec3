import type { FastifyInstance } from 'fastify';
import { CommandRefused } from './processLifetime.js';

/** What the operator can change when an address cannot be listened on. */
const WHY: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is already in use (choose another PORT, or 0 for any free one)',
  EACCES: 'is not allowed to this user (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'is not an address of this machine',
  ENOTFOUND: 'does not resolve',
  EAI_AGAIN: 'does not resolve',
};

/** Requests in flight at shutdown are waited for this long, then their connections are cut. */
const STOP_PATIENCE_MS = 30_000;

/**
 * Listens where HOST and PORT say. An address that cannot be listened on is refused in one line
 * naming them, once `release` has closed what was opened (nothing is left half-open).
 */
export const listenOrRefuse = async (
  app: FastifyInstance,
  at: { host: string; port: number },
  release: () => Promise<void>,
): Promise<string> => {
  try {
    return await app.listen({ host: at.host, port: at.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = WHY[code];
    if (!why) throw err;
    await release();
    throw new CommandRefused(
      `cannot listen on HOST=${at.host} PORT=${at.port}: ${at.host}:${at.port} ${why}`,
    );
  }
};

/**
 * Closes the server: it stops accepting, ends its event streams and WebSockets, and waits for the
 * requests in flight (those still running after STOP_PATIENCE_MS have their connections cut).
 */
export const closeServer = async (app: FastifyInstance): Promise<void> => {
  const cut = setTimeout(() => app.server.closeAllConnections(), STOP_PATIENCE_MS);
  cut.unref();
  await app.close();
  clearTimeout(cut);
};
