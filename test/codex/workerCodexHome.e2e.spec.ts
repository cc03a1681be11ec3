import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodexHome } from '../../src/codex/codexHome.js';
import { CodexImporter } from '../../src/codex/codexImporter.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { openCodexLedger } from '../../src/main/openCodexLedger.js';
import { exited, listeningOn, startCli } from '../support/cli.js';
import { filesContaining, seedCodexDatabases } from '../support/codexDatabasesFixture.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { tempDir } from '../support/tempDir.js';
import { unwrap } from '../support/unwrap.js';

describe('worker over a Codex home', () => {
  it('purges what Codex keeps only when it knows the home; without it the step fails, visibly, and nothing is lost', async () => {
    const dir = await tempDir();
    const fx = generateCodexHome(dir.path, { roots: 2, trees: 1, depth: 1, fanout: 2 });
    const root = fx.roots[0]!;
    const subtree = [root, ...fx.children.get(root)!];
    const seeded = seedCodexDatabases(
      dir.path,
      [...fx.threads.values()].map((t) => ({ id: t.id, parent: t.parent, rolloutPath: t.path })),
    );
    const typed = (id: string) => `typed into ${id}`;
    for (const id of fx.threads.keys())
      appendFileSync(
        join(dir.path, 'history.jsonl'),
        `${JSON.stringify({ session_id: id, ts: 1, text: typed(id) })}\n`,
      );

    // Imported, then tombstoned with no worker running (an app-server that stopped right after).
    const home = new CodexHome(dir.path);
    const ledger = openCodexLedger(home, undefined);
    await new CodexImporter(home, ledger).run({ full: true });
    unwrap(await ledger.lifecycle.delete(root as ThreadId, null, ctx));
    await ledger.close();

    const data = join(dir.path, 'thread-ledger');
    const blind = startCli([
      'worker',
      '--data',
      data,
      '--rollout-root',
      home.sessionsDir,
      '--rollout-root',
      home.archivedDir,
      '--until-idle',
    ]);
    expect((await exited(blind)).code, blind.output()).toBe(3);
    expect(blind.output()).toContain('this worker has none configured (--codex-home)');
    const value = seeded.values.get(root)!.find((v) => v.startsWith('logs.feedback_log_body'))!;
    expect(filesContaining(dir.path, value)).not.toEqual([]); // nothing of Codex's was touched blind

    // The failed step waits for its retry: run again past it, now knowing the home.
    await new Promise((r) => setTimeout(r, 600));
    const worker = startCli(['worker', '--codex-home', dir.path, '--until-idle']);
    expect((await exited(worker)).code, worker.output()).toBe(0);
    for (const id of subtree) {
      for (const v of [...seeded.values.get(id)!, typed(id)])
        expect(filesContaining(dir.path, v), v).toEqual([]);
    }
    const kept = fx.roots[1]!;
    expect(readFileSync(join(dir.path, 'history.jsonl'), 'utf8')).toContain(typed(kept));
    expect(
      filesContaining(
        dir.path,
        seeded.values.get(kept)!.find((v) => v.startsWith('logs.feedback_log_body'))!,
      ),
    ).not.toEqual([]);
    await dir.remove();
  });

  it('serve --codex-home keeps its data in the home, like the app-server, and answers', async () => {
    const dir = await tempDir();
    generateCodexHome(dir.path, { roots: 2, trees: 0 });
    const serve = startCli(['serve', '--codex-home', dir.path], {
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_TOKENS: '',
      LEDGER_DATA_DIR: '',
      LEDGER_LOG: 'off',
    });
    const url = await listeningOn(serve);
    expect(url, serve.output()).toBeDefined();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(serve.output()).toContain(`data in ${join(dir.path, 'thread-ledger')}`);
    serve.kill('SIGTERM');
    await exited(serve);
    await dir.remove();
  });
});
