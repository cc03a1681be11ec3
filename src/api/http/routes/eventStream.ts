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
/** How long a stream that does not drain is waited for at shutdown. */
const END_PATIENCE_MS = 2_000;

const frame = (e: RecordedEvent): string =>
  `id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify({
    position: String(e.position),
    threadId: threadIdOfStream(e.streamId),
    type: e.type,
    data: e.data, // as stored: sealed content stays sealed
    metadata: e.metadata,
  })}\n\n`;

/** The comment an open stream ends with when the server stops (the client may reconnect). */
const STOPPING = ': thread-ledger stopping; reconnect with Last-Event-ID\n\n';

/** Ends one open stream: its last comment written, its subscription stopped, its response ended. */
type EndStream = () => Promise<void>;

/**
 * Writes every event of the log after `after` to one client, as it comes, until it goes or the
 * server stops (`open` holds the way to end it meanwhile).
 */
const streamTo =
  (store: Ledger['store'], request: FastifyRequest, after: bigint | null, open: Set<EndStream>) =>
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
    let streaming = true;
    // At shutdown: no more events, a last comment, and the end of the response, before the
    // stores close under the subscription.
    async function end(): Promise<void> {
      if (streaming && !res.writableEnded) res.write(STOPPING);
      stop();
      // A client that does not read holds its last writes: it is cut after a moment.
      const cut = setTimeout(() => res.destroy(), END_PATIENCE_MS);
      await done;
      clearTimeout(cut);
    }
    const stop = () => {
      if (!streaming) return;
      streaming = false;
      clearInterval(heartbeat);
      void sub.stop();
    };
    res.on('close', stop);
    const done = (async () => {
      try {
        for await (const e of sub) {
          if (!streaming) break;
          // Backpressure: wait for this client's socket, and only this one.
          if (!res.write(frame(e)))
            await new Promise((r) => {
              res.once('drain', r);
              res.once('close', r);
            });
        }
      } catch (err) {
        request.log.error(err);
      } finally {
        stop();
        open.delete(end);
        res.end();
      }
    })();
    open.add(end);
  };

/**
 * Server-Sent Events of the lifecycle: every event of the log, in order, its position as the SSE
 * id, so a client that reconnects with `Last-Event-ID` resumes with nothing lost and nothing twice.
 * Each client has its own subscription and waits on its own socket: a slow or dead client never
 * holds back the others.
 */
export const eventStream: FastifyPluginAsync<EventStreamOptions> = async (app, opts) => {
  const route = routesOn(app, opts.steps);
  const open = new Set<EndStream>();
  // Before the server waits for its requests to finish: the streams would never finish alone.
  app.addHook('preClose', async () => {
    await Promise.all([...open].map((end) => end()));
  });

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
      return { stream: streamTo(opts.store, request, after, open) };
    },
  });
};
