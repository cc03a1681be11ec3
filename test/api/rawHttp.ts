import { connect } from 'node:net';

export type RawAnswer = { status: number; headers: Record<string, string>; body: string };

/**
 * Sends raw bytes to a listening server over a fresh TCP connection and reads back one HTTP
 * answer (interim 1xx answers skipped): whatever a client can put on the wire, nothing checked
 * or fixed on the way out. Rejects if no complete answer arrives within `timeoutMs`.
 */
export const rawRequest = (
  port: number,
  bytes: Buffer | string,
  timeoutMs = 5000,
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | null, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(
      () =>
        done(
          new Error(
            `no complete answer within ${timeoutMs} ms; got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`,
          ),
        ),
      timeoutMs,
    );
    /** The answer, once complete in `buf`; `atEnd`: the connection closed, take what is there. */
    const parse = (atEnd: boolean): RawAnswer | null => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return null;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]!);
        if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(head[0])}`);
        const status = Number(m[1]);
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const rest = buf.subarray(end + 4);
        if (status >= 100 && status < 200 && status !== 101) {
          buf = rest;
          continue;
        }
        if (headers['content-length'] !== undefined) {
          const n = Number(headers['content-length']);
          if (rest.length < n)
            return atEnd ? { status, headers, body: rest.toString('utf8') } : null;
          return { status, headers, body: rest.subarray(0, n).toString('utf8') };
        }
        if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
          let body = '';
          let at = 0;
          for (;;) {
            const eol = rest.indexOf('\r\n', at);
            if (eol < 0) return atEnd ? { status, headers, body } : null;
            const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
            if (size === 0) return { status, headers, body };
            if (rest.length < eol + 2 + size + 2) return atEnd ? { status, headers, body } : null;
            body += rest.subarray(eol + 2, eol + 2 + size).toString('utf8');
            at = eol + 2 + size + 2;
          }
        }
        if (status === 101 || status === 204 || status === 304)
          return { status, headers, body: '' };
        return atEnd ? { status, headers, body: rest.toString('utf8') } : null;
      }
    };
    const attempt = (atEnd: boolean) => {
      try {
        const answer = parse(atEnd);
        if (answer) done(null, answer);
        else if (atEnd)
          done(
            new Error(
              `connection closed without an answer; got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`,
            ),
          );
      } catch (err) {
        done(err as Error);
      }
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      attempt(false);
    });
    socket.on('end', () => attempt(true));
    socket.on('close', () => attempt(true));
    // A server that answers and closes before it has read everything resets the connection:
    // what it answered is still in `buf`.
    socket.on('error', () => attempt(true));
    socket.write(bytes);
  });

/** A small deterministic PRNG (mulberry32): the same seed, the same requests. */
export const prng = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  return { next, int, pick, bytes };
};
