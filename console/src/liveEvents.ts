import { openStream } from './api.js';
import { type SseFrame, sseReader } from './sseFrames.js';

/** How long to wait before reconnecting, growing to at most 15 s while the server is away. */
const backoffMs = (failures: number): number => Math.min(15_000, 500 * 2 ** failures);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows the lifecycle event stream (GET /v1/events) until `signal` aborts: fetch streaming,
 * since EventSource cannot send the bearer token. A dropped stream is opened again after the
 * last position seen (`?after=`, what the server reads as Last-Event-ID), so nothing is missed
 * and nothing comes twice. `onState` says whether the stream is open, for the page to show.
 * `after`: the position to start after (null: the whole log from its start).
 */
export const followEvents = (
  onFrame: (frame: SseFrame) => void,
  signal: AbortSignal,
  onState: (live: boolean) => void = () => {},
  after: string | null = null,
): void => {
  let lastId = after;
  let failures = 0;
  void (async () => {
    while (!signal.aborted) {
      try {
        const after = lastId === null ? '' : `?after=${encodeURIComponent(lastId)}`;
        const res = await openStream(`/v1/events${after}`, signal);
        onState(true);
        failures = 0;
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        const frames = sseReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const frame of frames.push(value)) {
            if (frame.id !== null) lastId = frame.id;
            onFrame(frame);
          }
        }
      } catch {
        // The stream failed or was cut: reconnect below, unless the page went away.
      }
      if (signal.aborted) return;
      onState(false);
      await sleep(backoffMs(failures++), signal);
    }
  })();
};
