import type { ChildProcess } from 'node:child_process';

/** The URL a `thread-ledger` process says it listens on (on stderr); rejects if it exits first. */
export const listeningUrl = (child: ChildProcess, what: string): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`${what} exited: ${err}`)));
  });
