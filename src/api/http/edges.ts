import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Problem, type ProblemError, problem, sendProblem } from './problem.js';

/**
 * The edges of the HTTP service: what is answered before (or instead of) a route. Every refusal
 * is a problem document, including those Node's HTTP parser, fastify's router and body parsers,
 * and the WebSocket handshake would otherwise answer in their own formats.
 */

/** The longest request target served (path and query): longer ones are `414`. */
export const MAX_URL_BYTES = 8 * 1024;
/**
 * Node's limit on the request line and headers together; past it, `431` (or `414` for a long
 * request line).
 */
export const MAX_HEADER_BYTES = 16 * 1024;

/** A problem written straight to a socket, for errors raised where no fastify reply exists. */
const rawProblem = (p: Problem, headers: Record<string, string> = {}): string => {
  const body = JSON.stringify(p);
  const lines = {
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...headers,
  };
  return `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\n${Object.entries(lines)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n${body}`;
};

/** Writes a problem to a socket and closes it, unless an answer is already on its way there. */
const answerOnSocket = (socket: Duplex, p: Problem, headers?: Record<string, string>): void => {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !pending?.headersSent) {
    socket.end(rawProblem(p, headers));
    socket.once('finish', () => socket.destroy());
    // A client that does not read its answer does not hold the socket.
    setTimeout(() => socket.destroy(), 5_000).unref();
  } else socket.destroy();
};

type ParserError = Error & { code?: string; reason?: string; rawPacket?: unknown };

/**
 * What Node's HTTP parser refuses before any request exists (a bad request line, bad headers,
 * headers past the size limit, a timeout): answered as problems, the connection then closed.
 */
export const clientErrorHandler = (error: Error, socket: Socket): void => {
  const err = error as ParserError;
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const why = err.reason ? `${err.reason}` : err.message;
  let p: Problem;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    p = problem(
      'request-timeout',
      408,
      'Request Timeout',
      'the request did not arrive in time',
    ).problem;
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    // The limit covers the request line and the headers: when the request line alone is past
    // it (the packet that overflowed starts with it and does not end it), the URL is too long.
    const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.toString('latin1') : '';
    const line = /^[A-Za-z]+ /.test(packet) ? packet.split('\n', 1)[0]! : '';
    p =
      line.length > MAX_URL_BYTES
        ? problem(
            'uri-too-long',
            414,
            'URI Too Long',
            `the request target is longer than ${MAX_URL_BYTES} bytes`,
          ).problem
        : problem(
            'headers-too-large',
            431,
            'Request Header Fields Too Large',
            `the request line and headers are longer than ${MAX_HEADER_BYTES} bytes`,
          ).problem;
  } else if (err.code === 'HPE_INVALID_URL') {
    p = problem(
      'bad-url',
      400,
      'Bad Request',
      `the request target is not a valid URL (${why})`,
    ).problem;
  } else {
    p = problem(
      'malformed-request',
      400,
      'Bad Request',
      `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${why})`,
    ).problem;
  }
  answerOnSocket(socket, p);
};

/**
 * Errors fastify's router raises before a route runs: a URL that does not decode, a path
 * parameter past its length.
 */
export const frameworkErrors = (
  err: FastifyError,
  _req: FastifyRequest,
  reply: FastifyReply,
): void => {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(
      reply,
      problem('uri-too-long', 414, 'URI Too Long', 'a path segment is longer than 100 characters')
        .problem,
    );
  } else if (err.code === 'FST_ERR_BAD_URL') {
    void sendProblem(
      reply,
      problem('bad-url', 400, 'Bad Request', 'the path is not a valid URL: bad percent-encoding')
        .problem,
    );
  } else {
    void sendProblem(
      reply,
      problem('internal', 500, 'Internal error', 'the server failed while routing the request')
        .problem,
    );
  }
};

/** fastify's own refusals (body parsing, content types, ...), by code, each a stable type. */
const FASTIFY_CODES: Record<string, [kind: string, title: string, detail: string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    'body-too-large',
    'Body too large',
    'the body is larger than the limit',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'unsupported-media-type',
    'Unsupported Media Type',
    'bodies are application/json',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'malformed-request',
    'Bad Request',
    'the body does not match its Content-Length',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    'malformed-json',
    'Malformed JSON',
    'the body is empty, but its Content-Type says JSON',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: ['malformed-json', 'Malformed JSON', 'the body is not valid JSON'],
  FST_ERR_CTP_INVALID_TYPE: [
    'unsupported-media-type',
    'Unsupported Media Type',
    'the Content-Type is not valid',
  ],
  FST_ERR_CTP_EMPTY_TYPE: [
    'unsupported-media-type',
    'Unsupported Media Type',
    'the Content-Type is empty',
  ],
};

/**
 * The problem for an error fastify (or a plugin) raised with a 4xx status, never echoing the
 * body (a JSON parser's message quotes it).
 */
export const clientProblem = (e: FastifyError): ProblemError => {
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  const status = e.statusCode!;
  if (known) return problem(known[0], status, known[1], known[2]);
  if (e instanceof SyntaxError)
    return problem('malformed-json', 400, 'Malformed JSON', 'the body is not valid JSON');
  const title = STATUS_CODES[status] ?? 'Bad Request';
  return problem(
    title
      .toLowerCase()
      .replace(/[^a-z]+/g, '-')
      .replace(/^-|-$/g, ''),
    status,
    title,
    e.message,
  );
};

/** `Expect` values other than `100-continue`: Node would answer a bare 417. */
export const onCheckExpectation = (_req: IncomingMessage, res: ServerResponse): void => {
  const p = problem(
    'expectation-failed',
    417,
    'Expectation Failed',
    'only "Expect: 100-continue" is supported',
  ).problem;
  const body = JSON.stringify(p);
  res.shouldKeepAlive = false;
  res
    .writeHead(417, {
      'content-type': 'application/problem+json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    })
    .end(body);
};

/** A WebSocket handshake the `ws` library refuses (bad key, version, protocol list, method). */
export const onWsClientError = (err: Error, socket: Duplex, req: IncomingMessage): void => {
  const wrongMethod = req.method !== 'GET';
  answerOnSocket(
    socket,
    wrongMethod
      ? problem('method-not-allowed', 405, 'Method Not Allowed', 'a WebSocket handshake is a GET')
          .problem
      : problem(
          'bad-upgrade',
          400,
          'Bad Request',
          `the WebSocket handshake is not valid: ${err.message}`,
        ).problem,
    wrongMethod ? { allow: 'GET' } : {},
  );
};

/**
 * Loopback Host values: `localhost`, `127.0.0.0/8`, `[::1]`, each with any port. With no tokens
 * configured, only requests addressed to these are answered: a page whose DNS name was rebound
 * to 127.0.0.1 sends its own name as the Host, and is refused.
 */
export const isLoopbackHost = (host: string | undefined): boolean => {
  if (host === undefined) return false;
  const m = /^(localhost|127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})|\[::1\])(?::(\d{1,5}))?$/i.exec(host);
  if (!m) return false;
  if (m[2] !== undefined && [m[2], m[3], m[4]].some((o) => Number(o) > 255)) return false;
  return m[5] === undefined || Number(m[5]) <= 65535;
};

/**
 * Routes by path pattern, for `405 Method Not Allowed` (fastify answers `404` to a known path
 * with an unknown method): every route declared is recorded, as a pattern and its method.
 */
export class RouteTable {
  private readonly routes: { pattern: RegExp; method: string }[] = [];

  add(url: string, methods: string | string[]): void {
    const pattern = new RegExp(
      `^${url
        .split('/')
        .map((seg) =>
          seg.startsWith(':')
            ? '[^/]+'
            : seg === '*'
              ? '.*'
              : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/')}$`,
    );
    for (const method of Array.isArray(methods) ? methods : [methods])
      this.routes.push({ pattern, method });
  }

  /** The methods the path takes, sorted. */
  allowed(url: string): string[] {
    const path = url.split('?', 1)[0]!;
    return [
      ...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method)),
    ].sort();
  }
}

/** Installs the edges on a fastify instance, before its routes are declared. */
export const installEdges = (app: FastifyInstance, opts: { open: boolean }): RouteTable => {
  const table = new RouteTable();
  app.addHook('onRoute', (r) => table.add(r.url, r.method as string | string[]));
  app.server.on('checkExpectation', onCheckExpectation);
  app.addHook('onRequest', async (req) => {
    // Node would answer a bare 400 itself (`requireHostHeader`): answered here as a problem.
    const host = req.headers.host;
    if (host === undefined && req.raw.httpVersion === '1.1') {
      throw problem('host-required', 400, 'Bad Request', 'an HTTP/1.1 request needs a Host header');
    }
    if (opts.open && !isLoopbackHost(host)) {
      throw problem(
        'host-not-allowed',
        421,
        'Misdirected Request',
        'no tokens are configured: only requests to localhost, 127.0.0.0/8 or [::1] are answered',
      );
    }
    // Bodies are read as they come: a compressed one would be parsed as if it were not.
    const coding = req.headers['content-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      throw problem(
        'unsupported-media-type',
        415,
        'Unsupported Media Type',
        'bodies are not compressed: no Content-Encoding but identity',
      );
    }
    if (req.raw.url !== undefined && Buffer.byteLength(req.raw.url) > MAX_URL_BYTES) {
      throw problem(
        'uri-too-long',
        414,
        'URI Too Long',
        `the request target is longer than ${MAX_URL_BYTES} bytes`,
      );
    }
  });
  // An upgrade request refused here (before @fastify/websocket's own hooks have seen it) has no
  // HTTP connection to go back to: its socket is closed once the problem is sent.
  app.addHook('onResponse', async (req) => {
    if ((req.raw as IncomingMessage & { upgrade?: boolean }).upgrade && !req.raw.socket.destroyed)
      req.raw.socket.destroy();
  });
  return table;
};
