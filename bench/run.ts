// npm run bench [-- --quick]: the figures recorded in BENCHMARKS.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { v7 as uuidv7 } from 'uuid';
import type { Ledger } from '../src/app/ledger.js';
import type { ThreadStarted as Started } from '../src/domain/events.js';
import type { ThreadId } from '../src/domain/ids.js';
import type { KeyServiceClientOptions } from '../src/io/keys/keyServiceClient.js';
import { openLedger } from '../src/main/openLedger.js';
import { listThreads } from '../src/projections/threadListQuery.js';
import { benchChild } from './benchChild.js';
import { benchCodex } from './codex.js';
import { benchEvidence } from './evidence.js';
import { ctx, growLog, inWaves, KINDS, started } from './fixtures.js';
import { benchHttp, type HttpCreateFigures } from './http.js';
import { benchKeyClient, startKeyService } from './keyService.js';
import { machine, ms, quantiles } from './machine.js';

const quick = process.argv.includes('--quick');
/** `--only=appends|list|delete|codex|http|rebuild|keys|evidence` runs one section. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const wanted = (section: string) => only === undefined || only === section;
const THREADS = quick ? 10_000 : 100_000;
const REBUILD_EVENTS = quick ? [100_000] : [250_000, 500_000, 1_000_000];
const root = mkdtempSync(join(tmpdir(), 'thread-ledger-bench-'));
const out = (line: string) => process.stdout.write(`${line}\n`);

const open = (
  name: string,
  keyService?: KeyServiceClientOptions,
): Ledger & { dir: string; rollouts: string } => {
  const dir = join(root, name);
  const rollouts = join(dir, 'sessions');
  mkdirSync(rollouts, { recursive: true });
  return Object.assign(
    openLedger({ dataDir: join(dir, 'data'), rolloutRoots: [rollouts], keyService }),
    { dir, rollouts },
  );
};

const benchAppends = async () => {
  const l = open('appends');
  const event = (n: number) => ({ id: uuidv7(), type: 'BenchEvent', data: { n }, metadata: {} });
  const SEQ = quick ? 1000 : 5000;
  let t0 = performance.now();
  for (let i = 0; i < SEQ; i++) await l.store.append(`bench-${i}`, [event(i)], 'no_stream');
  const seq = SEQ / ((performance.now() - t0) / 1000);
  const CONC = quick ? 20_000 : 200_000;
  t0 = performance.now();
  await inWaves(
    Array.from({ length: CONC }, (_, i) => i),
    1000,
    (i) => l.store.append(`conc-${i}`, [event(i)], 'no_stream'),
  );
  const conc = CONC / ((performance.now() - t0) / 1000);
  await l.close();
  out(
    `| append, one at a time (each a durable commit) | ${Math.round(seq).toLocaleString('en')} events/s |`,
  );
  out(
    `| append, 1,000 in flight (group commit) | ${Math.round(conc).toLocaleString('en')} events/s |`,
  );
};

const populate = async (l: Ledger, n: number) => {
  const threads = Array.from({ length: n }, (_, i) => started(i));
  await l.keys.ensure(threads.map((t) => t.threadId));
  await inWaves(threads, 1000, (t) => l.lifecycle.start(t, ctx));
  await l.runner.catchUp();
};

const timeList = (l: Ledger, params: Record<string, unknown>, runs: number) => {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = listThreads(l.readDb, params);
    times.push(performance.now() - t0);
    if (E.isRight(r)) rows = r.right.rows.length;
  }
  return { ...quantiles(times), rows };
};

const benchList = async (l: Ledger) => {
  const first = listThreads(l.readDb, { limit: 50 });
  const cursor = E.isRight(first) ? first.right.nextCursor : null;
  const cases: [string, Record<string, unknown>][] = [
    ['first page, default filters (interactive, newest first)', { limit: 50 }],
    ['next page by cursor', { limit: 50, cursor }],
    ['sorted by updated_at, ascending', { limit: 50, sortKey: 'updated_at', sortDirection: 'asc' }],
    [
      'all source kinds, one cwd, one provider',
      {
        limit: 50,
        sourceKinds: [...new Set(KINDS)],
        cwd: '/home/dev/project-3',
        modelProviders: ['openai'],
      },
    ],
    ['search term on the name, many matches', { limit: 50, searchTerm: 'number 99' }],
    [
      'search term on the name, no match (scans every row)',
      { limit: 50, searchTerm: 'no such name' },
    ],
  ];
  for (const [label, params] of cases) {
    const r = timeList(l, params, params['searchTerm'] === 'no such name' ? 50 : 2000);
    out(
      `| thread list at ${THREADS.toLocaleString('en')} threads: ${label} (${r.rows} rows) | p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms |`,
    );
  }
};

const benchDelete = async (l: Ledger & { rollouts: string }) => {
  for (const size of [1, 10, 200, 1000]) {
    const times: number[] = [];
    const committed: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const ids: ThreadId[] = [];
      for (let i = 0; i < size; i++) {
        const parent = i === 0 ? null : ids[Math.floor((i - 1) / 2)]!; // a binary tree, as in Codex's figure
        // A spawned thread is a subagent: the lifecycle refuses another kind on a spawn.
        const t = started(i, parent ? { sourceKind: 'subAgentThreadSpawn' } : {});
        // Named as Codex names a rollout: a start is refused a file that is not the thread's own.
        const path = join(l.rollouts, `rollout-${rep}-${i}-${t.threadId}.jsonl`);
        writeFileSync(
          path,
          `${'{"type":"response_item","payload":{"text":"some content of the conversation"}}\n'.repeat(30)}`,
        );
        t.rolloutPath = path;
        ids.push(t.threadId);
        const r = parent
          ? await l.lifecycle.spawn(parent, t, ctx)
          : await l.lifecycle.start(t, ctx);
        if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
      }
      await l.runner.catchUp(); // a running service follows the log: it is caught up before the delete
      const t0 = performance.now();
      const d = await l.lifecycle.delete(ids[0]!, null, ctx);
      if (E.isLeft(d) || d.right.threadIds.length !== size)
        throw new Error('delete did not cover the subtree');
      committed.push(performance.now() - t0);
      while ((await l.repo.load(ids[0]!)).state.status !== 'deleted') await l.worker.runPass();
      times.push(performance.now() - t0);
    }
    const q = quantiles(times);
    const c = quantiles(committed);
    out(
      `| delete a ${size.toLocaleString('en')}-thread subtree, tombstones + purge (rollouts, keys) + ThreadDeleted; of which the tombstones alone (the commit point: hidden from every query, every command refused) | median ${ms(q.p50)} ms (max ${ms(q.max)}) of 5; tombstones ${ms(c.p50)} ms (max ${ms(c.max)}) |`,
    );
  }
};

const rebuildOnce = (dataDir: string, env: Record<string, string> = {}) =>
  benchChild<{ events: number; seconds: number; maxRssMiB: number; liveHeapMiB: number }>(
    './rebuildChild.ts',
    [dataDir],
    {
      nodeFlags: [
        ...(process.env['BENCH_PROFILE']
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`]
          : []),
        '--expose-gc',
      ],
      env,
    },
  );

type Timed = { events: number; seconds: number };
/** The floor a rebuild is held to: the same events.db read and JSON-parsed, nothing else. */
const logFloorOnce = (dataDir: string) => benchChild<Timed>('./logFloorChild.ts', [dataDir]);
/** The rebuild's path without its folds: read as it reads, decoded (content opened or left sealed), nothing written. */
const decodeOnce = (dataDir: string, content: 'opened' | 'sealed') =>
  benchChild<Timed>('./decodeFloorChild.ts', [dataDir, content]);

const benchRebuild = async () => {
  for (const renameHeavy of [false, true]) {
    const l = open(renameHeavy ? 'rebuild-renames' : 'rebuild');
    const threads: Started[] = [];
    let have = 0;
    for (const total of renameHeavy ? REBUILD_EVENTS.slice(-1) : REBUILD_EVENTS) {
      await growLog(l, threads, have, total, renameHeavy);
      have = total;
      const floor = logFloorOnce(join(l.dir, 'data'));
      const decoded = decodeOnce(join(l.dir, 'data'), 'opened');
      const sealed = decodeOnce(join(l.dir, 'data'), 'sealed');
      const r = rebuildOnce(join(l.dir, 'data'));
      const mix = renameHeavy ? 'rename-heavy worst case' : 'lifecycle mix';
      out(
        `| rebuild all projections from 0, ${r.events.toLocaleString('en')} events, ${mix} | ${Math.round(r.events / r.seconds).toLocaleString('en')} events/s (${r.seconds.toFixed(1)} s), peak RSS ${Math.round(r.maxRssMiB)} MiB, live heap at most ${Math.round(r.liveHeapMiB)} MiB; the floor (every row read and its JSON parsed, same file) ${Math.round(floor.events / floor.seconds).toLocaleString('en')} events/s (${floor.seconds.toFixed(2)} s): the rebuild takes **${(r.seconds / floor.seconds).toFixed(2)}x the floor** (target at most 1.5x); read, decoded and unsealed as the rebuild does, nothing folded: ${decoded.seconds.toFixed(2)} s, ${(decoded.seconds / floor.seconds).toFixed(2)}x the floor (content left sealed: ${sealed.seconds.toFixed(2)} s, ${(sealed.seconds / floor.seconds).toFixed(2)}x) |`,
      );
    }
    await l.close();
  }
};

/** What the shared key service costs: its round trips, HTTP commands and a rebuild through it. */
const benchKeys = async () => {
  const keys = await startKeyService();
  try {
    await benchKeyClient(out, quick, keys.client);
    await benchHttp(out, quick, { label: ' with the key service', env: keys.env });
    const l = open('rebuild-keys', keys.client);
    const total = REBUILD_EVENTS[0]!;
    await growLog(l, [], 0, total, false);
    await l.close();
    const r = rebuildOnce(join(l.dir, 'data'), keys.env);
    out(
      `| rebuild all projections from 0, ${r.events.toLocaleString('en')} events, lifecycle mix, keys from the key service | ${Math.round(r.events / r.seconds).toLocaleString('en')} events/s (${r.seconds.toFixed(1)} s) |`,
    );
  } finally {
    await keys.stop();
  }
};

out(`thread-ledger benchmark${quick ? ' (quick)' : ''}: ${machine()}`);
out(`data in ${root}\n`);
out('| what | result |');
out('|---|---|');
try {
  if (wanted('appends')) await benchAppends();
  if (wanted('list') || wanted('delete')) {
    const l = open('main');
    await populate(l, THREADS);
    if (wanted('list')) await benchList(l);
    if (wanted('delete')) await benchDelete(l);
    await l.close();
  }
  if (wanted('codex')) await benchCodex(out, quick, !process.argv.includes('--no-codex-ref'));
  let http: HttpCreateFigures | null = null;
  if (wanted('http')) http = await benchHttp(out, quick);
  // The evidence tree's cost is set against the HTTP create of the same run (run here if not yet).
  if (wanted('evidence'))
    await benchEvidence(out, quick, root, http ?? (await benchHttp(out, quick)));
  if (wanted('rebuild')) await benchRebuild();
  if (wanted('keys')) await benchKeys();
} finally {
  if (!process.env['BENCH_KEEP']) rmSync(root, { recursive: true, force: true });
}
