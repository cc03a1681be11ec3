import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { exited, startCli } from '../support/cli.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { RpcClient } from '../support/rpcClient.js';
import { tempDir } from '../support/tempDir.js';

describe('thread/delete when a purge step fails', () => {
  it('fails with a clear message, keeps the subtree hidden, and completes in the background once it can', async () => {
    const dir = await tempDir();
    const fx = generateCodexHome(dir.path, { roots: 2, trees: 1, depth: 2, fanout: 2 });
    const root = fx.roots[0]!;
    const victim = fx.children.get(root)![0]!;
    const child = startCli(['app-server'], { CODEX_HOME: dir.path, LEDGER_DATA_DIR: '' });
    const rpc = new RpcClient(child);
    await rpc.result('initialize', { clientInfo: { name: 'test', version: '1' } });
    await rpc.result('thread/list', {});
    // The victim's rollout becomes something that cannot be purged: a folder.
    const path = fx.threads.get(victim)!.path;
    rmSync(path);
    mkdirSync(path);

    const r = await rpc.call('thread/delete', { threadId: root });
    expect(r.error?.code).toBe(-32603);
    expect(r.error?.message).toContain(`thread ${root} is deleted but not yet purged`);
    expect(r.error?.message).toContain(`${victim}: refusing ${path}: it is not a regular file`);
    expect(r.error?.message).toContain('It stays hidden; the purge is retried in the background');
    const notified = rpc.takeNotifications().map((n) => n.params['threadId'] as string);
    expect(notified).not.toContain(root); // the root is not deleted while a descendant is not
    expect(notified).not.toContain(victim);

    const all = await rpc.result<{ data: { id: string }[] }>('thread/list', {
      sourceKinds: ['cli', 'vscode', 'exec', 'subAgentThreadSpawn'],
    });
    expect(all.data.map((t) => t.id)).not.toContain(root);
    expect(all.data.map((t) => t.id)).not.toContain(victim);

    // Once the obstacle is gone, the background worker finishes the deletion by itself, and the
    // client hears of each thread it finished then: every thread of the subtree once in all.
    rmSync(path, { recursive: true });
    const subtree = [
      root,
      ...fx.children.get(root)!,
      ...fx.children.get(root)!.flatMap((c) => fx.children.get(c) ?? []),
    ];
    for (let i = 0; i < 100 && notified.length < subtree.length; i++) {
      await new Promise((res) => setTimeout(res, 50));
      notified.push(
        ...rpc
          .takeNotifications()
          .filter((n) => n.method === 'thread/deleted')
          .map((n) => n.params['threadId'] as string),
      );
    }
    expect([...notified].sort()).toEqual([...subtree].sort());
    expect(notified.at(-1)).toBe(root); // deepest first, root last
    const log = new Database(join(dir.path, 'thread-ledger', 'events.db'), { readonly: true });
    const closed = () =>
      log
        .prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'ThreadDeleted' AND stream_id = ?")
        .get(`thread-${root}`) as { n: number };
    for (let i = 0; i < 100 && closed().n === 0; i++)
      await new Promise((res) => setTimeout(res, 50));
    expect(closed().n).toBe(1);
    log.close();
    child.stdin!.end();
    await exited(child);
    await dir.remove();
  });
});
