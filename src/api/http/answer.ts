import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** What a route answers: a status, a body and headers; or a stream it writes itself. */
export type Answer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** The route takes over the raw response (a stream); it is never stored for replay. */
  | { stream: (res: ServerResponse) => void };

/** Sends a route's answer: headers, status and body, or the raw response handed to its stream. */
export const sendAnswer = (reply: FastifyReply, answer: Answer): FastifyReply => {
  if ('stream' in answer) {
    reply.hijack();
    answer.stream(reply.raw);
    return reply;
  }
  for (const [k, v] of Object.entries(answer.headers ?? {})) reply.header(k, v);
  return reply.code(answer.status).send(answer.body);
};
