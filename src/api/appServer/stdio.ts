import type { Readable, Writable } from 'node:stream';
import { MAX_MESSAGE_BYTES } from '../../io/boundedJson.js';
import { type AppServer, encodeLine } from './appServer.js';

/**
 * Lines read ahead of the one being handled, at most. Past this, stdin is paused until the
 * backlog shrinks: a client that pipelines faster than it is answered is held back, not buffered.
 */
export const MAX_PENDING_LINES = 16;

/** A message is handled only while at most this much of the answers is unsent (stdout not drained). */
export const OUTPUT_HIGH_WATER = 1024 * 1024;

export type StdioStreams = {
  readonly input: Readable;
  readonly output: Writable;
  /** Stops reading (a signal to stop): what was read is still answered, then it resolves. */
  readonly stop?: AbortSignal;
};

/**
 * One JSON message per line on stdin and stdout, as `codex app-server` speaks. Resolves at end of
 * input (or when stdout is closed). Memory stays bounded whatever the client does:
 * - a line longer than MAX_MESSAGE_BYTES is not kept: its bytes are dropped as they arrive and it
 *   is answered `-32700` in its turn;
 * - at most MAX_PENDING_LINES lines wait to be handled; stdin is paused beyond that;
 * - a message is handled only while at most OUTPUT_HIGH_WATER of the answers is unsent (else
 *   once stdout has drained), so answers never pile up in memory while the client does not read.
 */
export const serveStdio = async (
  makeServer: (
    send: (m: object) => void,
    outputReady: () => Promise<void> | undefined,
  ) => AppServer,
  streams: StdioStreams = { input: process.stdin, output: process.stdout },
): Promise<void> => {
  const { input, output } = streams;
  let closed = false;
  let drained: Promise<void> | null = null;
  const outputReady = (): Promise<void> | undefined => {
    if (closed || output.writableLength <= OUTPUT_HIGH_WATER || !output.writableNeedDrain)
      return undefined;
    drained ??= new Promise<void>((resolve) => {
      const done = () => {
        output.off('drain', done);
        output.off('close', done);
        drained = null;
        resolve();
      };
      output.on('drain', done);
      output.on('close', done);
    });
    return drained;
  };
  const server = makeServer((m) => {
    if (!closed) output.write(encodeLine(m));
  }, outputReady);

  return new Promise<void>((resolve) => {
    let pending = 0;
    let last: Promise<void> = Promise.resolve();
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      void last.then(() => resolve());
    };
    const flow = () => {
      if (ended) return;
      if (pending >= MAX_PENDING_LINES) input.pause();
      else input.resume();
    };
    const dispatch = (p: Promise<void>) => {
      pending++;
      last = p;
      void p.then(() => {
        pending--;
        flow();
      });
    };

    // The line being read: its pieces while it is within the limit; only its length past it.
    let pieces: Buffer[] = [];
    let size = 0;
    let oversized = false;
    const endLine = () => {
      if (oversized) dispatch(server.refuseTooLarge(size));
      else if (size > 0) dispatch(server.handleLine(Buffer.concat(pieces, size).toString('utf8')));
      pieces = [];
      size = 0;
      oversized = false;
    };
    input.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        const piece = buf.subarray(start, nl === -1 ? buf.length : nl);
        size += piece.length;
        if (!oversized && size > MAX_MESSAGE_BYTES) {
          oversized = true;
          pieces = [];
        }
        if (!oversized && piece.length > 0) pieces.push(Buffer.from(piece));
        if (nl === -1) break;
        endLine();
        start = nl + 1;
      }
      flow();
    });
    input.on('end', () => {
      endLine();
      finish();
    });
    input.on('error', finish);
    // The client stopped reading our answers for good (EPIPE): the session is over.
    output.on('error', () => {
      closed = true;
      input.pause();
      finish();
    });
    // Asked to stop: no more lines are read; the ones read are answered before it resolves.
    const stopReading = () => {
      input.pause();
      input.removeAllListeners('data');
      finish();
    };
    if (streams.stop?.aborted) stopReading();
    else streams.stop?.addEventListener('abort', stopReading, { once: true });
    flow();
  });
};
