// The HTTP section of `npm run bench`: a load run against `thread-ledger serve` on loopback.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { listeningUrl } from './listening.js';
import { ms } from './machine.js';

/**
 * The checkout whose `thread-ledger serve` is measured: this one, or `BENCH_SERVE_FROM` (another
 * worktree: an A/B of two commits under one load generator and one way of counting).
 */
const root = process.env['BENCH_SERVE_FROM'] ?? fileURLToPath(new URL('..', import.meta.url));

/**
 * CPU seconds (user + system) a process has used, from /proc (Linux; null elsewhere). Less
 * swayed than throughput by other work on a shared machine: A/B runs compare it per create.
 */
const cpuSeconds = (pid: number | undefined): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return null;
  }
};
const TOKEN = 'bench-writer-token-0123456789';

const run = (opts: autocannon.Options): Promise<autocannon.Result> =>
  new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

/** What the create run measured, for sections that relate their costs to it. */
export type HttpCreateFigures = {
  readonly createsPerSecond: number;
  /** Events in the log per `ThreadStarted` after the create run: what one create appends. */
  readonly eventsPerCreate: number;
  /** The server process's CPU time per create (Linux), null where it cannot be read. */
  readonly cpuMicrosPerCreate: number | null;
};

/** `variant`: the same run with more environment (the key service), its label added to each line. */
export const benchHttp = async (
  out: (line: string) => void,
  quick: boolean,
  variant: { label: string; env: Record<string, string> } = { label: '', env: {} },
  /** Where the server writes its CPU profile (at its clean exit); else BENCH_PROFILE, if set. */
  profileDir: string | undefined = process.env['BENCH_PROFILE'],
): Promise<HttpCreateFigures> => {
  const dir = mkdtempSync(join(tmpdir(), 'thread-ledger-http-'));
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const serve = [...profile, '--import', 'tsx', 'src/cli.ts', 'serve', '--data', dir];
  const child = spawn(process.execPath, serve, {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_LOG: 'off',
      LEDGER_RATE_LIMIT: '100000000',
      LEDGER_TOKENS: JSON.stringify([
        { token: TOKEN, subject: 'bench', roles: ['writer', 'auditor'] },
      ]),
      ...variant.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const url = await listeningUrl(child, 'serve');
    const duration = quick ? 3 : 10;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const log = new Database(join(dir, 'events.db'), { readonly: true });
    const count = (type: string) =>
      (log.prepare('SELECT COUNT(*) AS n FROM events WHERE type = ?').get(type) as { n: number }).n;

    const cpu0 = cpuSeconds(child.pid);
    const created = await run({
      url: `${url}/v1/threads`,
      method: 'POST',
      headers,
      body: JSON.stringify({
        cwd: '/home/dev/project',
        modelProvider: 'openai',
        preview: 'load test',
      }),
      connections: 32,
      duration,
    });
    const cpu1 = cpuSeconds(child.pid);
    const startedEvents = count('ThreadStarted');
    const cpuPerCreate =
      cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / startedEvents;
    const allEvents = (log.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    out(
      `| HTTP \`POST /v1/threads\` (create)${variant.label}, 32 connections, ${duration} s | ${Math.round(created.requests.average).toLocaleString('en')} commands/s, p50 ${ms(created.latency.p50)} ms, p99 ${ms(created.latency.p99)} ms; ${created['2xx'].toLocaleString('en')} accepted, ${created.non2xx} refused, ${created.errors} errors; ${startedEvents.toLocaleString('en')} \`ThreadStarted\` in the log (the accepted ones, and those in flight when the run ended)${cpuPerCreate === null ? '' : `; the server's CPU ${Math.round(cpuPerCreate).toLocaleString('en')} µs a create`} |`,
    );

    const ids = (
      log.prepare("SELECT stream_id FROM events WHERE type = 'ThreadStarted'").all() as {
        stream_id: string;
      }[]
    ).map((r) => r.stream_id.slice('thread-'.length));
    let next = 0;
    const deleted = await run({
      url,
      connections: 32,
      amount: Math.min(ids.length, quick ? 2000 : 20_000),
      requests: [
        {
          method: 'DELETE',
          headers: { authorization: headers.authorization },
          setupRequest: (req) => ({ ...req, path: `/v1/threads/${ids[next++]}` }),
        },
      ],
    });
    const tombstones = count('ThreadDeleteRequested');
    out(
      `| HTTP \`DELETE /v1/threads/:id\` (tombstone, 202; the purge follows in the background)${variant.label}, 32 connections | ${Math.round(deleted.requests.average).toLocaleString('en')} commands/s, p50 ${ms(deleted.latency.p50)} ms, p99 ${ms(deleted.latency.p99)} ms; ${deleted['2xx'].toLocaleString('en')} accepted, ${deleted.non2xx} refused, ${deleted.errors} errors; ${tombstones.toLocaleString('en')} \`ThreadDeleteRequested\` in the log |`,
    );
    log.close();
    return {
      createsPerSecond: created.requests.average,
      eventsPerCreate: allEvents / startedEvents,
      cpuMicrosPerCreate: cpuPerCreate,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
};
