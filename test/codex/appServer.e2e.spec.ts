import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexHome } from '../../src/codex/codexHome.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { openCodexLedger } from '../../src/main/openCodexLedger.js';
import { exited, startCli } from '../support/cli.js';
import {
  type CodexHomeFixture,
  generateCodexHome,
  writeRollout,
} from '../support/codexHomeFixture.js';
import { schemaErrors } from '../support/codexSchemas.js';
import { RpcClient } from '../support/rpcClient.js';
import { tempDir } from '../support/tempDir.js';
import { unwrap } from '../support/unwrap.js';

type Thread = {
  id: string;
  parentThreadId: string | null;
  name: string | null;
  path: string | null;
  preview: string;
  source: unknown;
};
type Page = { data: Thread[]; nextCursor: string | null };

const ALL_KINDS = ['cli', 'vscode', 'exec', 'appServer', 'subAgentThreadSpawn'];

describe('thread-ledger app-server over a generated CODEX_HOME', () => {
  let fx: CodexHomeFixture;
  let child: ReturnType<typeof startCli>;
  let rpc: RpcClient;
  let remove: () => Promise<void>;

  const list = async (params: Record<string, unknown>): Promise<Page> => {
    const page = await rpc.result<Page>('thread/list', params);
    expect(schemaErrors('ThreadListResponse', page)).toEqual([]);
    return page;
  };
  const listAll = async (params: Record<string, unknown>): Promise<Thread[]> => {
    const out: Thread[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list({ ...params, cursor, limit: 3 });
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };
  const descendants = (id: string): string[] =>
    (fx.children.get(id) ?? []).flatMap((c) => [c, ...descendants(c)]);
  const sessionIndexIds = () =>
    readFileSync(join(fx.home, 'session_index.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);

  beforeAll(async () => {
    const dir = await tempDir();
    remove = dir.remove;
    fx = generateCodexHome(dir.path);
    child = startCli(['app-server'], { CODEX_HOME: dir.path, LEDGER_DATA_DIR: '' });
    rpc = new RpcClient(child);
    const init = await rpc.result('initialize', { clientInfo: { name: 'test', version: '1.0' } });
    expect(init).toMatchObject({ codexHome: dir.path, platformFamily: 'unix' });
    rpc.sendRaw(JSON.stringify({ method: 'initialized' }));
  });

  afterAll(async () => {
    child.stdin!.end();
    await exited(child);
    await remove();
  });

  it('reports malformed rollouts and skips them', () => {
    for (const bad of fx.malformed) expect(child.output()).toContain(`skipped ${bad}`);
  });

  it('lists interactive, unarchived threads by default, newest first, with Codex-derived fields', async () => {
    const { data } = await list({});
    const expected = [...fx.threads.values()]
      .filter(
        (t) => !t.archived && t.parent === null && (t.source === 'cli' || t.source === 'vscode'),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((t) => t.id);
    expect(data.map((t) => t.id)).toEqual(expected);
    const first = fx.threads.get(fx.roots[0]!)!;
    const wire = data.find((t) => t.id === first.id)!;
    expect(schemaErrors('ThreadListResponse', { data: [wire] })).toEqual([]);
    expect(wire).toMatchObject({
      id: first.id,
      sessionId: first.id,
      parentThreadId: null,
      preview: first.preview,
      name: 'Release checklist', // the last line of session_index.jsonl wins
      path: first.path,
      cwd: first.cwd,
      cliVersion: '0.169.0',
      modelProvider: 'openai',
      originator: 'codex_cli_rs',
      source: 'cli',
      createdAt: Math.floor(first.createdAt.getTime() / 1000),
      updatedAt: Math.floor(first.createdAt.getTime() / 1000) + 60,
      gitInfo: { sha: 'abc123', branch: 'main', originUrl: 'https://example.com/repo.git' },
    });
  });

  it('lists subagents when asked, with their parent, and pages through everything with no gap and no repeat', async () => {
    const all = await listAll({ sourceKinds: ALL_KINDS });
    const live = [...fx.threads.values()].filter((t) => !t.archived);
    expect(all.map((t) => t.id).sort()).toEqual(live.map((t) => t.id).sort());
    const sub = all.find((t) => t.parentThreadId !== null)!;
    expect(sub.parentThreadId).toBe(fx.threads.get(sub.id)!.parent);
    expect(sub.source).toMatchObject({
      subAgent: { thread_spawn: { parent_thread_id: sub.parentThreadId } },
    });
    const archived = await listAll({ sourceKinds: ALL_KINDS, archived: true });
    expect(archived.map((t) => t.id).sort()).toEqual(
      [...fx.threads.values()]
        .filter((t) => t.archived)
        .map((t) => t.id)
        .sort(),
    );
  });

  it('filters by cwd, provider and search term, and sorts by updated_at either way', async () => {
    const cwd = fx.threads.get(fx.roots[0]!)!.cwd;
    expect(
      (await list({ cwd })).data.every((t) => (t as unknown as { cwd: string }).cwd === cwd),
    ).toBe(true);
    expect((await list({ modelProviders: ['azure'] })).data).toEqual([]);
    expect((await list({ searchTerm: 'checklist' })).data.map((t) => t.id)).toEqual([fx.roots[0]]);
    const asc = (await list({ sortKey: 'updated_at', sortDirection: 'asc' })).data.map((t) => t.id);
    const desc = (await list({ sortKey: 'updated_at', sortDirection: 'desc' })).data.map(
      (t) => t.id,
    );
    expect(asc).toEqual([...desc].reverse());
  });

  it('reads one thread', async () => {
    const id = fx.roots[1]!;
    expect(schemaErrors('ThreadReadParams', { threadId: id, includeTurns: false })).toEqual([]);
    const r = await rpc.result('thread/read', { threadId: id, includeTurns: false });
    expect(schemaErrors('ThreadReadResponse', r)).toEqual([]);
    expect(r).toMatchObject({ thread: { id, name: 'Build fixer' } });
    // As Codex: updatedAt is the creation time without the turns, the rollout's mtime with them.
    const plain = (r as { thread: { createdAt: number; updatedAt: number } }).thread;
    expect(plain.updatedAt).toBe(plain.createdAt);
    const full = await rpc.result<{
      thread: { updatedAt: number; turns: { items: { type: string }[] }[] };
    }>('thread/read', { threadId: id, includeTurns: true });
    expect(schemaErrors('ThreadReadResponse', full)).toEqual([]);
    expect(full.thread.updatedAt).toBe(plain.createdAt + 60);
    expect(full.thread.turns.map((t) => t.items.map((i) => i.type))).toEqual([['userMessage']]);
  });

  it('renames: trims, notifies, appends to session_index.jsonl as Codex does', async () => {
    const id = fx.roots[1]!;
    const r = await rpc.call('thread/name/set', { threadId: id, name: '  Ship it  ' });
    expect(r.result).toEqual({});
    expect(schemaErrors('ThreadSetNameResponse', r.result)).toEqual([]);
    const [n] = rpc.takeNotifications();
    expect(n).toMatchObject({
      method: 'thread/name/updated',
      params: { threadId: id, threadName: 'Ship it' },
    });
    expect(schemaErrors('ThreadNameUpdatedNotification', n!.params)).toEqual([]);
    const lines = readFileSync(join(fx.home, 'session_index.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ id, thread_name: 'Ship it' });
    expect(
      (await rpc.result<{ thread: Thread }>('thread/read', { threadId: id })).thread.name,
    ).toBe('Ship it');
    const empty = await rpc.call('thread/name/set', { threadId: id, name: '   ' });
    expect(empty.error?.code).toBe(-32600);
  });

  it('lists what another process committed to the same log at the next thread/list', async () => {
    const t = [...fx.threads.values()].find(
      (x) => !x.archived && fx.roots.includes(x.id) && x.id !== fx.roots[0] && x.id !== fx.roots[1],
    )!;
    const search = { searchTerm: 'renamed by another process', sourceKinds: ALL_KINDS };
    expect((await list(search)).data).toEqual([]);
    // Another process on the same data folder (played by this one): its commit is not the server's.
    const other = openCodexLedger(new CodexHome(fx.home), undefined);
    try {
      unwrap(
        await other.lifecycle.rename(t.id as ThreadId, 'renamed by another process', {
          actor: 'test',
          requestId: 'other-process',
          causationId: null,
        }),
      );
    } finally {
      await other.close();
    }
    expect((await list(search)).data.map((x) => [x.id, x.name])).toEqual([
      [t.id, 'renamed by another process'],
    ]);
  });

  it('archives a thread with its spawned subtree, moving the rollouts, and unarchives them back', async () => {
    const root = fx.roots[1]!;
    const subtree = [root, ...descendants(root)];
    const archivedReply = await rpc.result('thread/archive', { threadId: root });
    expect(archivedReply).toEqual({});
    expect(schemaErrors('ThreadArchiveResponse', archivedReply)).toEqual([]);
    const archived = rpc.takeNotifications();
    expect(archived.map((n) => n.method)).toEqual(subtree.map(() => 'thread/archived'));
    expect(new Set(archived.map((n) => n.params['threadId']))).toEqual(new Set(subtree));
    for (const n of archived)
      expect(schemaErrors('ThreadArchivedNotification', n.params)).toEqual([]);
    for (const id of subtree) {
      const original = fx.threads.get(id)!.path;
      expect(existsSync(original)).toBe(false);
      expect(existsSync(join(fx.home, 'archived_sessions', original.split('/').at(-1)!))).toBe(
        true,
      );
    }
    expect((await rpc.call('thread/name/set', { threadId: root, name: 'x' })).error).toEqual({
      code: -32600,
      message: `no rollout found for thread id ${root}`,
    });

    const un = await rpc.result('thread/unarchive', { threadId: root });
    expect(schemaErrors('ThreadUnarchiveResponse', un)).toEqual([]);
    expect(un).toMatchObject({ thread: { id: root, path: fx.threads.get(root)!.path } });
    const unarchived = rpc.takeNotifications();
    expect(unarchived.map((n) => n.method)).toEqual(subtree.map(() => 'thread/unarchived'));
    for (const n of unarchived)
      expect(schemaErrors('ThreadUnarchivedNotification', n.params)).toEqual([]);
    expect(unarchived.map((n) => n.params['threadId']).sort()).toEqual([...subtree].sort());
    for (const id of subtree) expect(existsSync(fx.threads.get(id)!.path)).toBe(true);
    const [zstOwner, zst] = [...fx.zst].find(([id]) => subtree.includes(id))!;
    expect(zstOwner).toBeDefined();
    expect(existsSync(zst)).toBe(true); // moved out with its rollout, and back

    // Archived again: moved again (the ledger knows where each rollout is now).
    await rpc.result('thread/archive', { threadId: root });
    rpc.takeNotifications();
    for (const id of subtree) {
      expect(existsSync(fx.threads.get(id)!.path)).toBe(false);
      expect(
        existsSync(join(fx.home, 'archived_sessions', fx.threads.get(id)!.path.split('/').at(-1)!)),
      ).toBe(true);
    }
    await rpc.result('thread/unarchive', { threadId: root });
    rpc.takeNotifications();
  });

  it('deletes a subtree, archived descendants included: files, session index lines, a notification for each, deepest first', async () => {
    const root = fx.roots[0]!;
    // archive one branch first: Codex would not notify for it; thread-ledger does
    const branch = fx.children.get(root)![0]!;
    await rpc.result('thread/archive', { threadId: branch });
    rpc.takeNotifications();
    const subtree = [root, ...descendants(root)];
    expect(sessionIndexIds()).toContain(root);

    const r = await rpc.call('thread/delete', { threadId: root });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({});
    expect(schemaErrors('ThreadDeleteResponse', r.result)).toEqual([]);
    const deleted = rpc.takeNotifications();
    for (const n of deleted)
      expect(schemaErrors('ThreadDeletedNotification', n.params)).toEqual([]);
    const order = deleted.map((n) => n.params['threadId'] as string);
    expect(new Set(order)).toEqual(new Set(subtree));
    expect(order.at(-1)).toBe(root);
    for (const id of subtree) {
      const parent = fx.threads.get(id)!.parent;
      if (parent && subtree.includes(parent))
        expect(order.indexOf(id)).toBeLessThan(order.indexOf(parent));
    }
    const remaining = readdirSync(join(fx.home, 'archived_sessions')).concat(
      ...['20'].map(() => readdirSync(join(fx.home, 'sessions', '2026', '11', '20'))),
    );
    for (const id of subtree) expect(remaining.some((f) => f.includes(id))).toBe(false);
    expect(sessionIndexIds()).not.toContain(root);
    const zsts = [...fx.zst].filter(([id]) => subtree.includes(id)).map(([, p]) => p);
    expect(zsts.length).toBeGreaterThan(0);
    for (const zst of zsts) {
      expect(existsSync(zst)).toBe(false);
      expect(existsSync(join(fx.home, 'archived_sessions', zst.split('/').at(-1)!))).toBe(false);
    }
    expect((await list({ sourceKinds: ALL_KINDS })).data.some((t) => subtree.includes(t.id))).toBe(
      false,
    );
    // Nothing of a deleted thread is served, with or without its turns.
    for (const includeTurns of [false, true]) {
      const read = await rpc.call('thread/read', { threadId: root, includeTurns });
      expect(read.error?.code).toBe(-32600);
      expect(read.result).toBeUndefined();
    }

    const again = await rpc.call('thread/delete', { threadId: root });
    expect(again.error).toEqual({
      code: -32600,
      message: `no rollout found for thread id ${root}`,
    });
  });

  /** A root rollout as Codex writes it while the server runs; its id. */
  const codexWrites = (preview: string, createdAt: Date): string => {
    const id = uuidv7();
    writeRollout(fx.home, {
      id,
      parent: null,
      depth: 0,
      archived: false,
      name: null,
      source: 'cli',
      cwd: '/home/dev/new',
      preview,
      createdAt,
    });
    return id;
  };

  it('picks up a rollout that Codex writes while the server runs, at the next thread/list', async () => {
    const id = codexWrites('a brand new thread', new Date('2026-11-22T08:00:00Z'));
    const { data } = await list({});
    expect(data[0]).toMatchObject({ id, preview: 'a brand new thread' });
  });

  it('lists each rollout written just before the request, every time, in new day folders too', async () => {
    for (let i = 0; i < 5; i++) {
      const id = codexWrites(
        `written just before list ${i}`,
        new Date(Date.parse('2026-12-01T08:00:00Z') + i * 86_400_000),
      );
      const { data } = await list({});
      expect(data[0]).toMatchObject({ id, preview: `written just before list ${i}` });
    }
  });

  it('sees a rollout grow in an older day folder at the next thread/list, not only at the full scan', async () => {
    const updatedAt = async (id: string) =>
      ((await listAll({})).find((t) => t.id === id) as unknown as { updatedAt: number }).updatedAt;
    const [oldest] = (await listAll({ sortKey: 'updated_at', sortDirection: 'asc' })).filter((t) =>
      t.path?.includes('/sessions/'),
    );
    const before = await updatedAt(oldest!.id);
    expect(before).toBeLessThan(Date.now() / 1000 - 3600);
    appendFileSync(oldest!.path!, `${JSON.stringify({ type: 'event_msg', payload: {} })}\n`);
    expect(await updatedAt(oldest!.id)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
  });

  it('answers errors as Codex does, and a malformed line never ends the session', async () => {
    expect((await rpc.call('thread/read', { threadId: 'not-a-uuid' })).error).toEqual({
      code: -32600,
      message:
        'invalid thread id: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1',
    });
    expect((await rpc.call('thread/archive', {})).error).toEqual({
      code: -32600,
      message: 'Invalid request: missing field `threadId`',
    });
    const unknown = uuidv7();
    expect((await rpc.call('thread/delete', { threadId: unknown })).error).toEqual({
      code: -32600,
      message: `no rollout found for thread id ${unknown}`,
    });
    const bogus = await rpc.call('thread/bogus', {});
    expect(bogus.error?.code).toBe(-32600);
    expect(bogus.error?.message).toMatch(
      /^Invalid request: unknown variant `thread\/bogus`, expected one of/,
    );
    rpc.sendRaw('{"id": 99, "method": "thread/list", ');
    const parse = await rpc.replyTo(null);
    expect(parse.error?.code).toBe(-32700);
    expect((await list({})).data.length).toBeGreaterThan(0); // still serving
  });
});
