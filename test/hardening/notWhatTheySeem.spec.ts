import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { ThreadStarted as Started } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { openLedger } from '../../src/main/openLedger.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { userMessage, writeRolloutFile } from '../support/rolloutWriter.js';
import { ServeProcess } from '../support/serveProcess.js';
import { tempDir } from '../support/tempDir.js';
import { startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const at = (i: number) => new Date(Date.UTC(2026, 3, 1, 8, 0, i));

/** A rollout whose session_meta is edited by `edit` (its first line, parsed). */
const rollout = (
  home: string,
  id: string,
  i: number,
  edit: (meta: Record<string, any>) => void = () => {},
): string => {
  const path = writeRolloutFile(home, {
    id,
    createdAt: at(i),
    mtime: at(i),
    provider: 'openai',
    lines: [userMessage(`message ${i}`)],
  });
  const lines = readFileSync(path, 'utf8').split('\n');
  const first = JSON.parse(lines[0]!);
  edit(first.payload);
  lines[0] = JSON.stringify(first);
  writeFileSync(path, lines.join('\n'));
  return path;
};
const spawnedBy = (parent: string) => (meta: Record<string, any>) => {
  meta['source'] = { subagent: { thread_spawn: { parent_thread_id: parent, depth: 1 } } };
};

describe('files that are not what they seem', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const kind of ['FIFO', 'directory'] as const) {
    it(`app-server: a session_index.jsonl that is a ${kind}, a config.toml that is a FIFO, a rollout that is a FIFO or nested 10,000 deep, rollouts naming themselves or each other as parent: it starts, reports each, imports the rest`, async () => {
      const home = await tempDir();
      const index = join(home.path, 'session_index.jsonl');
      if (kind === 'FIFO') mkfifo(index);
      else mkdirSync(index);
      mkfifo(join(home.path, 'config.toml'));
      const good = uuidv7();
      rollout(home.path, good, 1);
      const self = uuidv7();
      rollout(home.path, self, 2, spawnedBy(self));
      const [a, b] = [uuidv7(), uuidv7()];
      rollout(home.path, a, 3, spawnedBy(b));
      rollout(home.path, b, 4, spawnedBy(a));
      const child = uuidv7(); // a child of the loop: not in it, imported (its parent is not)
      rollout(home.path, child, 5, spawnedBy(a));
      const deep = uuidv7();
      const deepPath = rollout(home.path, deep, 6);
      writeFileSync(
        deepPath,
        readFileSync(deepPath, 'utf8').replace(
          '"source":"cli"',
          `"source":{"subagent":{"thread_spawn":{"parent_thread_id":"${good}","depth":1,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`,
        ),
      );
      mkfifo(
        join(
          home.path,
          'sessions',
          '2026',
          '04',
          '01',
          `rollout-2026-04-01T08-00-07-${uuidv7()}.jsonl`,
        ),
      );
      const inHome = join(
        home.path,
        'sessions',
        '2026',
        '04',
        '01',
        `rollout-2026-04-01T08-00-08-${uuidv7()}.jsonl`,
      );
      symlinkSync('/dev/zero', inHome);

      for (let start = 0; start < 2; start++) {
        const server = await LedgerAppServer.start(home.path, {}, 15_000);
        const out = () => server.output;
        expect(out()).toContain(
          `session index not read: refusing ${index}: it is not a regular file`,
        ); // a ${kind}
        expect(out()).toContain(
          `ParentCycle: thread ${self} names itself as its parent; not imported`,
        );
        expect(out()).toContain(
          `ParentCycle: its parent chain comes back to it: ${a} -> ${b} -> ${a}; not imported`,
        );
        expect(out()).toContain(
          `ParentCycle: its parent chain comes back to it: ${b} -> ${a} -> ${b}; not imported`,
        );
        expect(out()).toContain(
          `${deepPath}: first line is not JSON (JSON nested deeper than 256 levels)`,
        );
        const list = await server.result<{ data: { id: string }[] }>('thread/list', {
          sourceKinds: ['cli', 'subAgentThreadSpawn'],
        });
        expect(list.data.map((t) => t.id).sort()).toEqual([good, child].sort());
        expect(out()).toContain('config.toml: ');
        expect(
          (await server.call('thread/name/set', { threadId: good, name: 'renamed' })).error?.code,
        ).toBe(-32603);
        expect((await server.close()).code).toBe(0);
      }
      await home.remove();
    });
  }

  it('serve: a log holding a loop in the spawn graph (written before loops were refused): the subtree answers, /healthz keeps answering', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir.remove());
    const data = join(dir.path, 'data');
    const ledger = openLedger({ dataDir: data, rolloutRoots: [join(dir.path, 'rollouts')] });
    const ctx = { actor: 'legacy-import', requestId: 'r', causationId: null };
    const [a, b, c, d] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()] as [
      ThreadId,
      ThreadId,
      ThreadId,
      ThreadId,
    ];
    // Started under a parent that did not exist yet, as the import did: a <-> b, and c -> d -> c.
    for (const [id, parent] of [
      [a, b],
      [b, a],
      [c, d],
      [d, c],
    ] as const) {
      unwrap(
        await ledger.commands.handle(
          {
            type: 'StartThread',
            thread: startedData({
              threadId: id,
              parentThreadId: parent,
              depth: 1 as Started['depth'],
            }),
          },
          ctx,
        ),
      );
    }
    // And the spawn edges both ways, on the parents' streams.
    for (const [parent, child] of [
      [a, b],
      [b, a],
      [c, d],
      [d, c],
    ] as const) {
      unwrap(
        await ledger.commands.handle(
          { type: 'SpawnSubagent', parentThreadId: parent, childThreadId: child },
          ctx,
        ),
      );
    }
    await ledger.close();

    const serve = await ServeProcess.start({
      dataDir: data,
      args: ['--rollout-root', join(dir.path, 'rollouts')],
    });
    cleanups.push(() => serve.stop());
    await serve.request('GET', '/readyz', { token: null });
    const subtree = await serve.request('GET', `/v1/threads/${a}/subtree`);
    expect(subtree.status).toBe(200);
    expect(subtree.body.ancestors.map((n: { threadId: string }) => n.threadId)).toEqual([b]);
    expect(subtree.body.descendants.map((n: { threadId: string }) => n.threadId)).toEqual([b]);
    const other = await serve.request('GET', `/v1/threads/${d}/subtree`);
    expect(other.body.ancestors.map((n: { threadId: string }) => n.threadId)).toEqual([c]);
    expect((await serve.request('GET', '/healthz', { token: null })).status).toBe(200);
    // Deleting into the loop ends too: the cascade visits each thread once.
    const deleted = await serve.request('DELETE', `/v1/threads/${a}`);
    expect(deleted.status).toBe(202);
    expect(deleted.body.deletion.threadIds.sort()).toEqual([a, b].sort());
    expect((await serve.request('GET', '/healthz', { token: null })).status).toBe(200);
  });
});
