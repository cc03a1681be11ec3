import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { Ledger } from '../../src/app/ledger.js';
import { CodexHome } from '../../src/codex/codexHome.js';
import { CodexImporter } from '../../src/codex/codexImporter.js';
import { openCodexLedger } from '../../src/main/openCodexLedger.js';
import { listThreads } from '../../src/projections/threadListQuery.js';
import { exited, startCli } from '../support/cli.js';
import {
  type CodexHomeFixture,
  generateCodexHome,
  writeRollout,
} from '../support/codexHomeFixture.js';
import { readLog } from '../support/log.js';
import { tempDir } from '../support/tempDir.js';
import { unwrap } from '../support/unwrap.js';

describe('importing a Codex home', () => {
  let fx: CodexHomeFixture;
  let home: CodexHome;
  let ledger: Ledger;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    const dir = await tempDir();
    remove = dir.remove;
    fx = generateCodexHome(dir.path);
    home = new CodexHome(dir.path);
    ledger = openCodexLedger(home, undefined);
  });
  afterEach(async () => {
    await ledger.close();
    await remove();
  });

  const allKinds = { sourceKinds: ['cli', 'vscode', 'exec', 'subAgentThreadSpawn'], limit: 1000 };

  it('turns rollouts into threads with spawn edges, names and archive state, and skips what it cannot read', async () => {
    const before = new Map(
      [...fx.threads.values()].map((t) => [
        t.path,
        [readFileSync(t.path, 'utf8'), statSync(t.path).mtimeMs],
      ]),
    );
    const r = await new CodexImporter(home, ledger).run();
    expect(r.started).toBe(fx.threads.size);
    expect(r.skipped.map((s) => s.path).sort()).toEqual([...fx.malformed].sort());
    expect(r.skipped.map((s) => s.error)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/first line is not JSON/),
        expect.stringMatching(/empty rollout/),
      ]),
    );
    const live = unwrap(listThreads(ledger.readDb, allKinds)).rows;
    const archived = unwrap(listThreads(ledger.readDb, { ...allKinds, archived: true })).rows;
    expect(live.length + archived.length).toBe(fx.threads.size);
    expect(archived.length).toBe([...fx.threads.values()].filter((t) => t.archived).length);
    // One event a thread (beside its name, archive and spawn edge): its start carries its
    // rollout's modification time, the list's updatedAt, with no ThreadUpdated after it.
    for (const row of [...live, ...archived])
      expect(row.updated_at).toBe(statSync(fx.threads.get(row.thread_id)!.path).mtimeMs);
    const types = (await readLog(ledger)).map((e) => e.event.type);
    expect(types.filter((t) => t === 'ThreadStarted').length).toBe(fx.threads.size);
    expect(types).not.toContain('ThreadUpdated');
    for (const t of fx.threads.values()) {
      if (t.parent) expect(ledger.queries.node(t.id)?.parent_thread_id).toBe(t.parent);
      expect((await ledger.repo.load(t.id as never)).state.children).toEqual(
        fx.children.get(t.id) ?? [],
      );
    }
    expect(ledger.queries.sessionName(fx.roots[0]!)).toBe('Release checklist');
    // the import never writes to a rollout
    for (const [path, [text, mtime]] of before) {
      expect(readFileSync(path, 'utf8')).toBe(text);
      expect(statSync(path).mtimeMs).toBe(mtime);
    }
  });

  it('is idempotent, and incremental: a modified rollout becomes one ThreadUpdated', async () => {
    await new CodexImporter(home, ledger).run();
    const head = await ledger.store.headPosition();
    const again = await new CodexImporter(home, ledger).run(); // a fresh importer: nothing cached
    expect(again).toMatchObject({ started: 0, updated: 0, renamed: 0 });
    expect(await ledger.store.headPosition()).toBe(head);

    const t = fx.threads.get(fx.roots[1]!)!;
    const later = new Date(t.createdAt.getTime() + 3_600_000);
    utimesSync(t.path, later, later);
    // A quick run reads only folders that changed (and the newest day): this one did not.
    expect(await new CodexImporter(home, ledger).run()).toMatchObject({ started: 0, updated: 0 });
    const third = await new CodexImporter(home, ledger).run({ full: true });
    expect(third).toMatchObject({ started: 0, updated: 1 });
    const added = (await readLog(ledger)).filter((e) => e.position > head!);
    expect(added.map((e) => e.event)).toEqual([
      { type: 'ThreadUpdated', data: { threadId: t.id, updatedAtMs: later.getTime() } },
    ]);
  });

  it('purges a rollout that turns up for a deleted thread, or under a deleted parent, and never lists it', async () => {
    await new CodexImporter(home, ledger).run();
    const root = fx.roots[1]!;
    const ctx = { actor: 'test', requestId: 'r', causationId: null };
    unwrap(await ledger.lifecycle.delete(root as never, null, ctx));
    await ledger.worker.runPass();
    expect((await ledger.repo.load(root as never)).state.status).toBe('deleted');
    const old = fx.threads.get(root)!;
    // A still-running Codex writes the deleted thread's rollout again, and spawns a child under it.
    const again = writeRollout(fx.home, {
      ...old,
      createdAt: new Date(old.createdAt.getTime() + 86_400_000 * 5),
    });
    const orphanId = uuidv7();
    const orphan = writeRollout(fx.home, {
      ...old,
      id: orphanId,
      parent: root,
      depth: 1,
      createdAt: new Date(old.createdAt.getTime() + 86_400_000 * 5 + 1000),
    });
    const r = await new CodexImporter(home, ledger).run();
    expect(r.purgedLate.sort()).toEqual([again, orphan].sort());
    expect(existsSync(again)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect((await ledger.repo.load(orphanId as never)).state.status).not.toBe('live');
    await ledger.runner.catchUp();
    const listed = unwrap(listThreads(ledger.readDb, allKinds)).rows.map((t) => t.thread_id);
    expect(listed).not.toContain(root);
    expect(listed).not.toContain(orphanId);
    const recorded = (await readLog(ledger)).flatMap((e) =>
      e.event.type === 'RolloutPurged' ? [e.event.data.path] : [],
    );
    expect(recorded).toEqual(expect.arrayContaining([again, orphan]));

    // And a name Codex writes for the deleted thread afterwards leaves the index at the next import.
    appendFileSync(
      join(fx.home, 'session_index.jsonl'),
      `${JSON.stringify({ id: root, thread_name: 'secret plan', updated_at: 'x' })}\n`,
    );
    await new CodexImporter(home, ledger).run();
    expect(readFileSync(join(fx.home, 'session_index.jsonl'), 'utf8')).not.toContain('secret plan');
    expect(
      (await readLog(ledger)).some(
        (e) => e.event.type === 'SessionIndexPurged' && e.event.data.threadId === root,
      ),
    ).toBe(true);
  });

  it('judges a rollout on the log, not on read models that have not seen its thread yet: a deleted thread is purged, a known one left as it is', async () => {
    await new CodexImporter(home, ledger).run();
    const [deleted, kept] = [fx.roots[1]!, fx.roots[2]!];
    const ctx = { actor: 'test', requestId: 'r', causationId: null };
    unwrap(await ledger.lifecycle.delete(deleted as never, null, ctx));
    await ledger.worker.runPass();
    const old = fx.threads.get(deleted)!;
    const again = writeRollout(fx.home, {
      ...old,
      createdAt: new Date(old.createdAt.getTime() + 86_400_000 * 5),
    });
    const keptPath = fx.threads.get(kept)!.path;
    utimesSync(keptPath, new Date(), new Date(Date.now() + 60_000)); // modified: looked at again
    const before = (await ledger.repo.load(kept as never)).revision;
    // Read models that lag behind the log: they have seen neither thread.
    const lagging = Object.create(ledger.queries) as typeof ledger.queries;
    lagging.thread = () => null;
    lagging.node = () => null;
    const r = await new CodexImporter(home, { ...ledger, queries: lagging }).run({ full: true });
    expect(r.purgedLate).toEqual([again]);
    expect(existsSync(again)).toBe(false);
    expect(r.skipped.filter((s) => s.path === again || s.path === keptPath)).toEqual([]);
    // The known thread was updated on its stream, not started again.
    expect(r.started).toBe(0);
    const after = await ledger.repo.load(kept as never);
    expect(after.state.status).toBe('live');
    expect(after.revision).toBe((before as bigint) + 1n);
  });

  it('imports a long first message whole, though it is not held from the first read to the import', async () => {
    const long = `please read this log: ${'0123456789'.repeat(20_000)}`;
    const at = new Date('2026-03-01T00:00:00Z');
    const [parent, child] = [uuidv7(), uuidv7()];
    writeRollout(fx.home, {
      ...fx.threads.get(fx.roots[0]!)!,
      id: parent,
      parent: null,
      depth: 0,
      preview: long,
      createdAt: at,
    });
    writeRollout(fx.home, {
      ...fx.threads.get(fx.roots[0]!)!,
      id: child,
      parent,
      depth: 1,
      preview: `${long}!`,
      createdAt: new Date(at.getTime() + 1000),
    });
    const r = await new CodexImporter(home, ledger).run();
    expect(r.skipped.map((s) => s.path).sort()).toEqual([...fx.malformed].sort());
    await ledger.runner.catchUp();
    expect(ledger.queries.thread(parent)?.preview).toBe(long);
    expect(ledger.queries.thread(child)?.preview).toBe(`${long}!`);
    expect(ledger.queries.node(child)?.parent_thread_id).toBe(parent);
  });

  it('imports a parent before a child that names it only by parent_thread_id, and links them', async () => {
    const parent = uuidv7();
    const child = uuidv7();
    const base = { depth: 0, archived: false, name: null, source: 'cli', cwd: '/p', preview: 'p' };
    // The child as a rollout that carries a top-level parent_thread_id but a plain source.
    const childPath = writeRollout(fx.home, {
      ...base,
      id: child,
      parent: null,
      createdAt: new Date('2026-11-23T08:00:00Z'),
    });
    const lines = readFileSync(childPath, 'utf8').split('\n');
    const meta = JSON.parse(lines[0]!);
    meta.payload.parent_thread_id = parent;
    writeFileSync(childPath, [JSON.stringify(meta), ...lines.slice(1)].join('\n'));
    writeRollout(fx.home, {
      ...base,
      id: parent,
      parent: null,
      createdAt: new Date('2026-11-23T09:00:00Z'),
    });
    await new CodexImporter(home, ledger).run({ full: true });
    expect((await ledger.repo.load(parent as never)).state.children).toEqual([child]);
  });

  it('skips a rollout whose spawn depth is 1.5 or 1e400, naming the field; the log stays readable and ready, from the shell too', async () => {
    const parent = fx.roots[0]!;
    const base = {
      parent,
      archived: false,
      name: null,
      source: 'subagent',
      cwd: '/p',
      preview: 'p',
    };
    const bad = [
      {
        text: '1.5',
        path: writeRollout(fx.home, {
          ...base,
          id: uuidv7(),
          depth: 1.5,
          createdAt: new Date('2026-11-24T08:00:00Z'),
        }),
      },
      {
        text: '1e400',
        path: writeRollout(fx.home, {
          ...base,
          id: uuidv7(),
          depth: 7,
          createdAt: new Date('2026-11-24T08:01:00Z'),
        }),
      },
      {
        text: '-1',
        path: writeRollout(fx.home, {
          ...base,
          id: uuidv7(),
          depth: 7,
          createdAt: new Date('2026-11-24T08:02:00Z'),
        }),
      },
    ];
    // JSON.stringify cannot write 1e400: put the literal in the text, as a hostile file would have it.
    for (const b of bad)
      writeFileSync(b.path, readFileSync(b.path, 'utf8').replace('"depth":7', `"depth":${b.text}`));
    const r = await new CodexImporter(home, ledger).run({ full: true });
    for (const b of bad) {
      const skip = r.skipped.find((s) => s.path === b.path);
      expect(skip?.error, b.text).toMatch(
        /source\.subagent\.thread_spawn\.depth must be a whole number, 0 or more/,
      );
    }
    expect(r.started).toBe(fx.threads.size);
    await readLog(ledger); // every event decodes
    await ledger.runner.catchUp();
    mkdirSync(join(fx.home, 'http'));
    const app = await buildServer(ledger, { dataDir: join(fx.home, 'http') });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await app.close();
    // A fresh process reads the whole log: the import and a rebuild both exit 0.
    await ledger.close();
    for (const args of [
      ['import', '--codex-home', fx.home],
      ['rebuild', '--codex-home', fx.home],
    ]) {
      const child = startCli(args);
      expect((await exited(child)).code, child.output()).toBe(0);
      if (args[0] === 'import') expect(child.output()).toContain(`skipped ${bad[1]!.path}`);
    }
    ledger = openCodexLedger(home, undefined);
  });

  it('runs from the shell with progress and a summary', async () => {
    await ledger.close();
    const child = startCli(['import', '--codex-home', fx.home]);
    expect((await exited(child)).code, child.output()).toBe(0);
    expect(child.output()).toMatch(/import: \d+\/\d+ rollouts read/);
    expect(child.output()).toContain(`import: done in`);
    expect(child.output()).toContain(`${fx.threads.size} threads started`);
    expect(child.output()).toContain(`skipped ${fx.malformed[0]}`);
    ledger = openCodexLedger(home, join(fx.home, 'thread-ledger'));
  });
});
