// The Codex section of `npm run bench`: a generated CODEX_HOME of 10k rollouts, with Codex's five
// SQLite databases and a history.jsonl, driven over stdio; then the real `codex app-server` 0.169.0
// deleting the same subtree on a copy of the same home.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { type SeedProfile, seedCodexDatabases } from '../test/support/codexDatabasesFixture.js';
import { writeRollout } from '../test/support/codexHomeFixture.js';
import { CODEX_BIN } from '../test/support/realCodex.js';
import { RpcClient } from '../test/support/rpcClient.js';
import { benchChild } from './benchChild.js';
import { ms, quantiles } from './machine.js';

const root = fileURLToPath(new URL('..', import.meta.url));

type Generated = { id: string; parent: string | null; rolloutPath: string };

/**
 * `total` rollouts: roots of every interactive source, and `trees` binary subagent trees of
 * `subtree` threads each (the first ones written), one per delete measured.
 */
const generate = (
  home: string,
  total: number,
  trees: number,
  subtree: number,
): { threads: Generated[]; trees: string[][] } => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const threads: Generated[] = [];
  const one = (parent: string | null, depth: number) => {
    const id = uuidv7();
    clock += 17 * 60_000; // spread over many days, as a real home is
    const rolloutPath = writeRollout(home, {
      id,
      parent,
      depth,
      archived: false,
      name: null,
      source: ['cli', 'vscode', 'exec'][clock % 3]!,
      cwd: `/home/dev/project-${clock % 7}`,
      preview: `please look at issue ${clock}`,
      createdAt: new Date(clock),
    });
    threads.push({ id, parent, rolloutPath });
    return id;
  };
  const all: string[][] = [];
  for (let t = 0; t < trees; t++) {
    const tree: string[] = [one(null, 0)];
    for (let i = 1; i < subtree; i++) {
      const parentIndex = Math.floor((i - 1) / 2);
      tree.push(one(tree[parentIndex]!, Math.floor(Math.log2(i + 1))));
    }
    all.push(tree);
  }
  while (threads.length < total) one(null, 0);
  return { threads, trees: all };
};

/** `history.jsonl` as the interactive CLI writes it: a line per message typed, a few per thread. */
const HISTORY_LINES = 3;
const writeHistory = (home: string, threads: readonly Generated[]) => {
  const lines: string[] = [];
  let ts = Date.parse('2026-01-01T00:00:00Z') / 1000;
  for (const t of threads) {
    for (let i = 0; i < HISTORY_LINES; i++) {
      ts += 60;
      lines.push(
        JSON.stringify({
          session_id: t.id,
          ts,
          text: `message ${i} of ${t.id}: please look at the failing build in src/app and fix the flaky test, then run the whole suite`,
        }),
      );
    }
  }
  writeFileSync(join(home, 'history.jsonl'), `${lines.join('\n')}\n`);
};

/**
 * What a thread leaves in Codex's databases in this bench (bytes of each text value; rows per
 * thread where a table holds several). Codex's own rows for these rollouts (10k backfilled
 * `threads` rows: 18.8 MB of state_5, measured) are about 570 bytes each; a real thread's title,
 * first message and preview are longer, and real homes carry logs (logs_2 of 280 MB to several GB
 * are reported in openai/codex issues #29814, #31132, #30431).
 */
const THREAD_COLUMNS: Record<string, number> = {
  title: 80,
  first_user_message: 400,
  preview: 300,
  sandbox_policy: 150,
  cwd: 24,
  git_origin_url: 40,
  git_sha: 40,
  git_branch: 16,
  agent_path: 24,
  name: 24,
  approval_mode: 10,
  originator: 12,
  model: 10,
};
const TEXT: Record<string, number> = {
  'logs.feedback_log_body': 300,
  'logs.level': 5,
  'logs.target': 24,
  'logs.module_path': 24,
  'logs.file': 28,
  'thread_dynamic_tools.name': 20,
  'thread_dynamic_tools.description': 150,
  'thread_dynamic_tools.input_schema': 400,
  'thread_dynamic_tools.namespace': 10,
  'thread_attachments.attachment_type': 8,
  'thread_attachments.payload': 400,
  'guardian_review_feedback.record': 300,
  'thread_goals.objective': 200,
  'queued_items.payload_json': 400,
  'stage1_outputs.raw_memory': 600,
  'stage1_outputs.rollout_summary': 200,
  'stage1_outputs.rollout_slug': 24,
};
export const BENCH_PROFILE: SeedProfile = {
  bulk: true,
  keepValues: false,
  autoVacuum: 'incremental', // as Codex creates them (measured on 0.169.0)
  rowsPerThread: { logs: 6, queued_items: 2 },
  updateGrowth: 16,
  // threads: the columns above, every other text column a short value (source `cli`, ...)
  textBytes: (table, column) =>
    table === 'threads' ? (THREAD_COLUMNS[column] ?? 8) : TEXT[`${table}.${column}`],
};

const DATABASES = ['state_5', 'logs_2', 'goals_1', 'queue_1', 'memories_1'];
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const sizeOf = (p: string) => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
/** A database's file and its WAL, by name. */
const filesOf = (d: string) => [`${d}.sqlite`, `${d}.sqlite-wal`];
/** Each database with its -wal, as `state_5 40.1 MiB, ...`, and the total. */
const databaseSizes = (home: string): string => {
  const each = DATABASES.map(
    (d) => [d, filesOf(d).reduce((n, f) => n + sizeOf(join(home, f)), 0)] as const,
  );
  return `${each.map(([d, n]) => `${d} ${mib(n)}`).join(', ')}; ${mib(each.reduce((a, [, n]) => a + n, 0))} in all`;
};

/**
 * The least a complete scrub of Codex's databases costs: every page of the five files and their
 * WALs read once (best of 3, from the page cache, as the deletes find them). Codex writes without
 * secure_delete, and SQLite reuses a free page without zeroing it, so an old copy of a thread's
 * row may sit in the unused space of any page: no scrub that reads less can be complete.
 */
const readDatabasesOnce = (home: string): { ms: number; bytes: number } => {
  const files = DATABASES.flatMap(filesOf)
    .map((f) => join(home, f))
    .filter((f) => existsSync(f));
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, bytes };
};

/**
 * What the purge's scrub costs on its own: each database copied aside, then VACUUM and the WAL
 * emptied as the purge does it (secure_delete on), one after another. The purge runs them on as
 * many workers as there are cores, so on this machine it waits at least for the larger of the
 * slowest one and half their sum.
 */
const vacuumCopies = (home: string): { each: [string, number][]; bound: number } => {
  const dir = mkdtempSync(join(tmpdir(), 'thread-ledger-vacuum-'));
  try {
    const each = DATABASES.map((d): [string, number] => {
      for (const f of filesOf(d))
        if (existsSync(join(home, f))) cpSync(join(home, f), join(dir, f));
      const db = new Database(join(dir, `${d}.sqlite`), { fileMustExist: true });
      try {
        db.pragma('secure_delete = ON');
        const t0 = performance.now();
        db.exec('VACUUM');
        db.pragma('wal_checkpoint(TRUNCATE)');
        return [d, performance.now() - t0];
      } finally {
        db.close();
      }
    });
    const times = each.map(([, t]) => t);
    const sum = times.reduce((a, b) => a + b, 0);
    return { each, bound: Math.max(...times, sum / availableParallelism()) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Rows left of these threads in the home's databases, by table (the columns that name a thread). */
const rowsLeft = (home: string, ids: readonly string[]): Map<string, number> => {
  const left = new Map<string, number>();
  for (const d of DATABASES) {
    const db = new Database(join(home, `${d}.sqlite`), { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .all();
      for (const { name } of tables) {
        const cols = db
          .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
          .all(name)
          .map((c) => c.name);
        const where = cols
          .filter(
            (c) =>
              c === 'thread_id' ||
              c === 'parent_thread_id' ||
              c === 'child_thread_id' ||
              (name === 'threads' && c === 'id'),
          )
          .map((c) => `"${c}" IN (SELECT value FROM json_each(@ids))`);
        if (where.length === 0) continue;
        const n = db
          .prepare<{ ids: string }, { n: number }>(
            `SELECT count(*) AS n FROM "${name}" WHERE ${where.join(' OR ')}`,
          )
          .get({ ids: JSON.stringify(ids) })!.n;
        if (n > 0) left.set(name, n);
      }
    } finally {
      db.close();
    }
  }
  return left;
};
const describeLeft = (left: Map<string, number>) =>
  left.size === 0 ? 'none' : [...left].map(([t, n]) => `${t} ${n}`).join(', ');

/** Rollouts of these threads still in the home. */
const rolloutsLeft = (
  threads: readonly Generated[],
  ids: ReadonlySet<string>,
  home: string,
): number =>
  threads.filter(
    (t) =>
      ids.has(t.id) && existsSync(t.rolloutPath.replace(/^.*?\/sessions\//, `${home}/sessions/`)),
  ).length;

/** The database files (and -wal) whose bytes hold one of these ids, as `grep -a -l` would find them. */
const filesHolding = (home: string, ids: readonly string[]): string[] =>
  readdirSync(home)
    .filter((f) => /\.sqlite(-wal)?$/.test(f))
    .filter((f) => {
      const bytes = readFileSync(join(home, f));
      return ids.some((id) => bytes.includes(id));
    });

const exited = (child: ChildProcess) => new Promise((res) => child.once('exit', res));

/** The backfill Codex runs over every rollout at its first start, waited for (read from its state_5). */
const backfillDone = (home: string): boolean => {
  const path = join(home, 'state_5.sqlite');
  if (!existsSync(path)) return false;
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 });
  try {
    return db
      .prepare<[], { status: string }>('SELECT status FROM backfill_state')
      .all()
      .some((r) => r.status === 'complete');
  } catch {
    return false;
  } finally {
    db.close();
  }
};

const startCodex = (home: string) => {
  const child = spawn(CODEX_BIN, ['app-server'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      CODEX_HOME: home,
      HOME: home,
      RUST_LOG: 'error',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  return { child, rpc: new RpcClient(child, { keepAnswers: false }) };
};

const median = (xs: number[]) => quantiles(xs).p50;
/** Codex's lists take tens of milliseconds each: fewer calls than thread-ledger's 300 suffice. */
const CODEX_LISTS = 100;
const spread = (xs: number[]) =>
  `median ${ms(median(xs))} ms (${ms(Math.min(...xs))} to ${ms(Math.max(...xs))}) of ${xs.length}`;

/** Deletes each tree's root in turn, each timed from the request to the answer; then counts what each left. */
const deleteTrees = async (rpc: RpcClient, trees: readonly string[][], settleMs: number) => {
  const times: number[] = [];
  const notified: number[] = [];
  for (const tree of trees) {
    const s = performance.now();
    const r = await rpc.call('thread/delete', { threadId: tree[0] });
    times.push(performance.now() - s);
    if (r.error) throw new Error(`thread/delete: ${r.error.message}`);
    if (settleMs > 0) await new Promise((res) => setTimeout(res, settleMs)); // notifications sent after the answer, if any
    notified.push(rpc.takeNotifications().filter((n) => n.method === 'thread/deleted').length);
  }
  return { times, notified };
};

/**
 * The CLI as users run it (`npm start`, the `thread-ledger` bin): compiled JavaScript, built from
 * the sources now, once per bench run, so that start-up is not tsx compiling TypeScript.
 */
let built = false;
const builtCli = (): string => {
  if (!built) {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    built = true;
  }
  return join(root, 'dist/cli.js');
};

/**
 * The import alone (bench/importChild.ts) on a copy of the home's rollouts and session index,
 * before the app-server first opens it: Codex's databases and history.jsonl are not read by it.
 */
const importAlone = (home: string) => {
  const copy = mkdtempSync(join(tmpdir(), 'thread-ledger-import-'));
  try {
    cpSync(home, copy, {
      recursive: true,
      filter: (src) => !/\.sqlite(-wal|-shm)?$|history\.jsonl$/.test(src),
    });
    return benchChild<{ rollouts: number; ms: number; maxRssMiB: number }>('./importChild.ts', [
      copy,
    ]);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
};

/** `thread-ledger app-server` on a home: start-up to the first page, then `thread/list` calls, then the deletes. */
const runLedger = async (home: string, trees: readonly string[][], lists: number) => {
  const cli = builtCli();
  const t0 = performance.now();
  const profile = process.env['BENCH_PROFILE']
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`]
    : [];
  const child = spawn(process.execPath, [...profile, cli, 'app-server'], {
    cwd: root,
    env: { ...process.env, CODEX_HOME: home, LEDGER_DATA_DIR: '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const rpc = new RpcClient(child, { keepAnswers: false });
  await rpc.result('initialize', { clientInfo: { name: 'bench', version: '1' } });
  const first = await rpc.result<{ data: unknown[] }>('thread/list', { limit: 50 });
  const startup = performance.now() - t0;
  if (first.data.length !== 50) throw new Error('the first page is not full');
  const listTimes: number[] = [];
  for (let i = 0; i < lists; i++) {
    const s = performance.now();
    await rpc.result('thread/list', { limit: 50 });
    listTimes.push(performance.now() - s);
  }
  const deleted = await deleteTrees(rpc, trees, 0);
  child.stdin!.end();
  await exited(child);
  return { startup, list: quantiles(listTimes), ...deleted };
};

/**
 * The real `codex app-server` 0.169.0 on a copy of the home (rollouts and history.jsonl): its first
 * start creates its databases (migrations recorded) and backfills `threads` from every rollout;
 * then the same rows as thread-ledger's home are added to them, and a second start deletes the
 * same subtrees. Codex's delete removes the rows, rollouts and session index lines, without zeroing.
 */
const codexReference = async (
  out: (line: string) => void,
  home: string,
  threads: readonly Generated[],
  trees: readonly string[][],
) => {
  let t0 = performance.now();
  let { child, rpc } = startCodex(home);
  await rpc.result('initialize', { clientInfo: { name: 'bench', version: '1' } });
  rpc.sendRaw(JSON.stringify({ method: 'initialized' }));
  await rpc.result('thread/list', { limit: 50 });
  const firstStart = performance.now() - t0;
  for (let waited = 0; !backfillDone(home); waited += 200) {
    if (waited > 120_000)
      throw new Error('codex app-server did not complete its backfill in 2 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  child.stdin!.end();
  await exited(child);
  // Codex's rollout paths as it recorded them (the copy's), so rollout-path rows name its files.
  seedCodexDatabases(
    home,
    threads.map((t) => ({
      ...t,
      rolloutPath: t.rolloutPath.replace(/^.*?\/sessions\//, `${home}/sessions/`),
    })),
    { ...BENCH_PROFILE, existing: true },
  );
  const sizes = databaseSizes(home);

  t0 = performance.now();
  ({ child, rpc } = startCodex(home));
  await rpc.result('initialize', { clientInfo: { name: 'bench', version: '1' } });
  rpc.sendRaw(JSON.stringify({ method: 'initialized' }));
  await rpc.result('thread/list', { limit: 50 });
  const restart = performance.now() - t0;
  // thread/list as thread-ledger's is measured: the same calls, one after another, before the deletes.
  const listTimes: number[] = [];
  for (let i = 0; i < CODEX_LISTS; i++) {
    const s = performance.now();
    await rpc.result('thread/list', { limit: 50 });
    listTimes.push(performance.now() - s);
  }
  const { times, notified } = await deleteTrees(rpc, trees, 300);
  child.stdin!.end();
  await exited(child);
  const ids = trees.flat();
  const left = rowsLeft(home, ids);
  const holding = filesHolding(
    home,
    trees.map((t) => t[0]!),
  );
  const files = rolloutsLeft(threads, new Set(ids), home);
  out(
    `| codex app-server 0.169.0 on a copy of the same home: first start (creates its databases, backfills ${threads.length.toLocaleString('en')} rollouts) to the first page; second start | ${ms(firstStart)} ms; ${ms(restart)} ms |`,
  );
  out(`| codex's databases after its backfill and the same rows added | ${sizes} |`);
  out(
    `| codex \`thread/delete\` of the same ${trees.length} subtrees of 200 (\`thread/deleted\` sent: ${notified.join(', ')}; rollouts left: ${files}; rows left: ${describeLeft(left)}; ` +
      `files still holding a root's id: ${holding.length ? holding.join(', ') : 'none'}) | ${spread(times)} |`,
  );
  return { times, list: quantiles(listTimes), firstStart };
};

export const benchCodex = async (
  out: (line: string) => void,
  quick: boolean,
  withCodex = true,
): Promise<void> => {
  const total = quick ? 2000 : 10_000;
  const TREES = 3;
  const home = mkdtempSync(join(tmpdir(), 'thread-ledger-codex-'));
  const plain = mkdtempSync(join(tmpdir(), 'thread-ledger-codex-plain-'));
  const reference = mkdtempSync(join(tmpdir(), 'thread-ledger-codex-ref-'));
  // Codex is a devDependency: absent in a production install, where its columns are skipped.
  const codexThere = withCodex && existsSync(CODEX_BIN);
  try {
    const { threads, trees } = generate(home, total, TREES, 200);
    writeHistory(home, threads);
    if (codexThere) cpSync(home, reference, { recursive: true }); // rollouts and history, before any database
    const t0 = performance.now();
    seedCodexDatabases(home, threads, BENCH_PROFILE);
    const seeded = performance.now() - t0;
    out(
      `| Codex's databases in the home, ${total.toLocaleString('en')} threads (seeded in ${ms(seeded)} ms); history.jsonl ${mib(sizeOf(join(home, 'history.jsonl')))} | ${databaseSizes(home)} |`,
    );

    const scrubFloor = readDatabasesOnce(home);
    out(
      `| the least a complete scrub of Codex's databases reads: every page of the five files and their WALs once (${mib(scrubFloor.bytes)}, from the page cache, best of 3) | ${ms(scrubFloor.ms)} ms |`,
    );

    const vacuum = vacuumCopies(home);
    out(
      `| the scrub alone, on copies of the databases: VACUUM and the WAL emptied, each (${vacuum.each.map(([d, t]) => `${d} ${ms(t)}`).join(', ')} ms); on ${availableParallelism()} cores at least | ${ms(vacuum.bound)} ms |`,
    );

    const imported = importAlone(home);
    const mine = await runLedger(home, trees, 300);
    out(
      `| app-server start-up, import of ${total.toLocaleString('en')} rollouts, to the first \`thread/list\` page | ${ms(mine.startup)} ms (${Math.round(total / (mine.startup / 1000)).toLocaleString('en')} rollouts/s) |`,
    );
    out(
      `| the import alone, in its own process: ${imported.rollouts.toLocaleString('en')} rollouts read and started, the read models caught up (a list would show them all) | ${ms(imported.ms)} ms: **${Math.round(imported.rollouts / (imported.ms / 1000)).toLocaleString('en')} rollouts/s**, peak RSS ${imported.maxRssMiB.toFixed(0)} MiB |`,
    );
    out(
      `| \`thread/list\` (50 rows) at ${total.toLocaleString('en')} rollouts, end to end over stdio (the watch's check of the home included) | p50 ${ms(mine.list.p50)} ms, p99 ${ms(mine.list.p99)} ms |`,
    );
    const ids = trees.flat();
    const left = rowsLeft(home, ids);
    const holding = filesHolding(
      home,
      ids.filter((_, i) => i % 50 === 0),
    );
    if (left.size > 0 || holding.length > 0)
      throw new Error(
        `the deletes left rows of the subtrees (${describeLeft(left)}), and their ids in ${holding.join(', ')}`,
      );
    const history = readFileSync(join(home, 'history.jsonl'), 'utf8');
    if (ids.some((id) => history.includes(id)))
      throw new Error('the deletes left history.jsonl lines of the subtrees');
    out(
      `| \`thread/delete\` of a 200-thread subtree, ${TREES} subtrees one after another: rollouts, session index, history.jsonl, Codex's five databases (rows deleted and zeroed, VACUUM, WAL truncated), keys, ` +
        `every \`thread/deleted\` (${mine.notified.join(', ')}) | ${spread(mine.times)} |`,
    );
    out(`| Codex's databases after the deletes | ${databaseSizes(home)} |`);

    // The same home without Codex's databases and history.jsonl: what the rest of the delete costs.
    const bare = generate(plain, total, TREES, 200);
    const without = await runLedger(plain, bare.trees, 0);
    out(
      `| the same deletes on a home without Codex's databases and history.jsonl | ${spread(without.times)} |`,
    );

    if (codexThere) {
      const theirs = await codexReference(out, reference, threads, trees);
      out(
        `| codex \`thread/list\` (50 rows) on the same rollouts, end to end over stdio, ${CODEX_LISTS} calls after its second start | p50 ${ms(theirs.list.p50)} ms, p99 ${ms(theirs.list.p99)} ms |`,
      );
      out(
        `| app-server start-up to the first page, thread-ledger / codex app-server's first start | ${(mine.startup / theirs.firstStart).toFixed(2)} x |`,
      );
      out(
        `| \`thread/list\` p50, thread-ledger / codex app-server | ${(mine.list.p50 / theirs.list.p50).toFixed(3)} x (p99 ${(mine.list.p99 / theirs.list.p99).toFixed(3)} x) |`,
      );
      out(
        `| \`thread/delete\` of a 200-thread subtree, codex app-server / thread-ledger (medians) | ${(median(theirs.times) / median(mine.times)).toFixed(1)} x |`,
      );
      // Issue 15's delete target, against what any complete scrub must read (see readDatabasesOnce).
      out(
        `| \`thread/delete\` target (0.02x Codex's median: ${ms(0.02 * median(theirs.times))} ms) against what a complete scrub costs | reading the databases once ${(scrubFloor.ms / median(theirs.times)).toFixed(3)} x Codex's delete, the scrub (VACUUM) alone ${(vacuum.bound / median(theirs.times)).toFixed(3)} x, thread-ledger's whole delete ${(median(mine.times) / median(theirs.times)).toFixed(3)} x |`,
      );
    } else {
      out(
        `| codex app-server 0.169.0 (\`thread/list\`, \`thread/delete\`, start-up) | skipped: ${withCodex ? `not installed (${CODEX_BIN} absent)` : '--no-codex-ref'} |`,
      );
    }
  } finally {
    for (const dir of [home, plain, reference]) rmSync(dir, { recursive: true, force: true });
  }
};
