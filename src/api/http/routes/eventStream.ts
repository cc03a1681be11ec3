import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import * as t from 'io-ts';
import type { Ledger } from '../../../app/ledger.js';
import { threadIdOfStream } from '../../../domain/ids.js';
import type { RecordedEvent } from '../../../store/eventStore.js';
import { invalid } from '../problem.js';
import { type RouteSteps, routesOn } from '../route.js';

export type EventStreamOptions = { readonly steps: RouteSteps } & Pick<Ledger, 'store'>;

const StreamQuery = t.partial({ after: t.string });
const HEARTBEAT_MS = 15_000;

const frame = (e: RecordedEvent): string =>
  `id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify({
    position: String(e.position),
    threadId: threadIdOfStream(e.streamId),
    type: e.type,
    data: e.data, // as stored: sealed content stays sealed
    metadata: e.metadata,
  })}\n\n`;

/** Writes every event of the log after `after` to one client, as it comes, until it goes. */
const streamTo =
  (store: Ledger['store'], request: FastifyRequest, after: bigint | null) =>
  (res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': request.id,
    });
    res.write(': thread-ledger lifecycle events\n\n');
    const sub = store.subscribeToAll({ after });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    let open = true;
    const stop = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      void sub.stop();
    };
    res.on('close', stop);
    void (async () => {
      try {
        for await (const e of sub) {
          if (!open) break;
          // Backpressure: wait for this client's socket, and only this one.
          if (!res.write(frame(e))) await new Promise((r) => res.once('drain', r));
        }
      } catch (err) {
        request.log.error(err);
      } finally {
        stop();
        res.end();
      }
    })();
  };

/**
 * Server-Sent Events of the lifecycle: every event of the log, in order, its position as the SSE
 * id, so a client that reconnects with `Last-Event-ID` resumes with nothing lost and nothing twice.
 * Each client has its own subscription and waits on its own socket: a slow or dead client never
 * holds back the others.
 */
export const eventStream: FastifyPluginAsync<EventStreamOptions> = async (app, opts) => {
  const route = routesOn(app, opts.steps);

  route({
    method: 'GET',
    url: '/v1/events',
    role: 'auditor',
    summary: 'Lifecycle events as Server-Sent Events',
    description:
      'Every event of the log, in order, as it is appended, as `text/event-stream`. Each event ' +
      'is one SSE message: `id:` its log position, `event:` its type (`ThreadStarted`, ' +
      '`ThreadRenamed`, `ThreadDeleteRequested`, ...), `data:` one line of JSON ' +
      '`{"position", "threadId", "type", "data", "metadata"}` (`data` and `metadata` as the log ' +
      'holds them: sealed content stays sealed). A comment line (`: keep-alive`) every 15 s. A ' +
      'client that reconnects with `Last-Event-ID` (or `?after=<position>`) resumes with nothing ' +
      'lost and nothing twice. Each client has its own subscription: a slow one holds back no other.',
    tags: ['audit'],
    headers: { 'last-event-id': 'Resume after this log position (digits); overrides `?after=`' },
    responses: {
      200: {
        mediaType: 'text/event-stream',
        description:
          'The stream, open until the client or the server goes: messages such as\n\n' +
          '```\nid: 42\nevent: ThreadRenamed\ndata: {"position":"42","threadId":"...",' +
          '"type":"ThreadRenamed","data":{...},"metadata":{...}}\n\n```',
        schema: { type: 'string' },
      },
    },
    input: { query: StreamQuery },
    handler: async ({ query, request }) => {
      const raw = (request.headers['last-event-id'] as string | undefined) ?? query.after;
      if (raw !== undefined && !/^\d+$/.test(raw))
        throw invalid(`Last-Event-ID must be a log position (digits), got "${raw}"`);
      const after = raw === undefined ? null : BigInt(raw);
      return { stream: streamTo(opts.store, request, after) };
    },
  });
};
