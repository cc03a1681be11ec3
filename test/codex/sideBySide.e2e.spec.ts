import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaErrors } from '../support/codexSchemas.js';
import {
  type AppServerProcess,
  startLedgerAppServer,
  startRealCodex,
} from '../support/realCodex.js';
import {
  agentMessage,
  richTurnLines,
  taskComplete,
  taskStarted,
  userMessage,
  writeRolloutFile,
} from '../support/rolloutWriter.js';
import { tempDir } from '../support/tempDir.js';

/**
 * thread-ledger's app-server and the real `codex app-server` 0.169.0, asked the same questions on
 * one CODEX_HOME. Compared: which threads `thread/list` answers (and in which order) with and
 * without `modelProviders`, and what `thread/read` answers for updatedAt and turns.
 *
 * Fields that legitimately differ are left out of the comparison of a Thread:
 * - `environments`, `extra`, `attachedToThreadId`, `canAcceptDirectInput`, `daybreakEnabled`,
 *   and the response's `readState(s)`: newer than the schema thread-ledger implements
 *   (shared/codex-protocol/json-schema has none of them);
 * - `recencyAt`: Codex fills it from its own state database; thread-ledger has no recency;
 * - `nextCursor` / `backwardsCursor`: opaque, each server's own encoding.
 */
type Thread = Record<string, unknown> & {
  id: string;
  createdAt: number;
  updatedAt: number;
  turns: unknown[];
};
type Page = { data: Thread[] };

const COMPARED = [
  'id',
  'sessionId',
  'forkedFromId',
  'parentThreadId',
  'preview',
  'modelProvider',
  'createdAt',
  'updatedAt',
  'status',
  'path',
  'cwd',
  'cliVersion',
  'originator',
  'source',
  'name',
  'turns',
];
const compared = (t: Thread) => Object.fromEntries(COMPARED.map((k) => [k, t[k]]));

const id = (n: number) => `019a0003-0000-7000-8000-${String(n).padStart(12, '0')}`;
const turn = (n: number) => `019a0003-0000-7000-8000-${String(900 + n).padStart(12, '0')}`;
const at = (minute: number) => new Date(Date.parse('2026-11-20T10:00:01Z') + minute * 60_000);
const secs = (d: Date) => Math.floor(d.getTime() / 1000);

describe('side by side with codex app-server 0.169.0', () => {
  let home: string;
  let remove: () => Promise<void>;
  let removeData: () => Promise<void>;
  let ledger: AppServerProcess;
  let codex: AppServerProcess;
  const rich = id(1);
  const legacy = id(2);

  const both = async <T>(method: string, params: unknown): Promise<[T, T]> => [
    await ledger.result<T>(method, params),
    await codex.result<T>(method, params),
  ];
  const ids = (p: Page) => p.data.map((t) => t.id);

  beforeAll(async () => {
    const dir = await tempDir('side-by-side-');
    const data = await tempDir('side-by-side-data-');
    home = dir.path;
    remove = dir.remove;
    removeData = data.remove;
    writeRolloutFile(home, {
      id: rich,
      createdAt: at(0),
      mtime: at(30),
      provider: 'openai',
      lines: richTurnLines(rich, turn(1), turn(2), turn(3)),
    });
    writeRolloutFile(home, {
      id: legacy,
      createdAt: at(1),
      mtime: at(31),
      provider: 'openai',
      source: 'vscode',
      lines: [
        userMessage('legacy hello'),
        agentMessage('hi'),
        taskStarted(turn(4)),
        userMessage('then explicit'),
        taskComplete(turn(4)),
      ],
    });
    writeRolloutFile(home, {
      id: id(3),
      createdAt: at(2),
      mtime: at(32),
      provider: 'ollama',
      lines: [userMessage('local model')],
    });
    writeRolloutFile(home, {
      id: id(4),
      createdAt: at(3),
      mtime: at(33),
      provider: 'lmstudio',
      lines: [userMessage('studio')],
    });
    writeRolloutFile(home, {
      id: id(5),
      createdAt: at(4),
      mtime: at(34),
      provider: 'ollama',
      source: 'exec',
      lines: [userMessage('exec run')],
    });
    // No config.toml: both list `openai`'s threads by default.
    [ledger, codex] = await Promise.all([
      startLedgerAppServer(home, { LEDGER_DATA_DIR: data.path }),
      startRealCodex(home),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([ledger?.close(), codex?.close()]);
    await remove();
    await removeData();
  });

  it('thread/list: no config.toml lists openai only; [] lists every provider; a list filters', async () => {
    for (const params of [
      {},
      { modelProviders: null },
      { modelProviders: [] },
      { modelProviders: ['ollama', 'lmstudio'] },
      { modelProviders: ['azure'] },
    ]) {
      const [mine, theirs] = await both<Page>('thread/list', params);
      expect(ids(mine), JSON.stringify(params)).toEqual(ids(theirs));
      expect(mine.data.map(compared)).toEqual(theirs.data.map(compared));
      expect(schemaErrors('ThreadListResponse', mine)).toEqual([]);
    }
    const [byDefault] = await both<Page>('thread/list', {});
    expect(ids(byDefault)).toEqual([legacy, rich]); // newest first; ollama, lmstudio, exec left out
  }, 20_000);

  it('thread/read without turns: updatedAt is createdAt, on both', async () => {
    for (const threadId of [rich, legacy, id(3)]) {
      const [mine, theirs] = await both<{ thread: Thread }>('thread/read', { threadId });
      expect(compared(mine.thread)).toEqual(compared(theirs.thread));
      expect(mine.thread.updatedAt).toBe(mine.thread.createdAt);
      expect(mine.thread.turns).toEqual([]);
      expect(schemaErrors('ThreadReadResponse', mine)).toEqual([]);
    }
  }, 20_000);

  it('thread/read with includeTurns: the rollout mtime and the same turns, ids and statuses included', async () => {
    for (const threadId of [rich, legacy, id(3)]) {
      const [mine, theirs] = await both<{ thread: Thread }>('thread/read', {
        threadId,
        includeTurns: true,
      });
      expect(compared(mine.thread)).toEqual(compared(theirs.thread));
      expect(mine.thread.updatedAt).toBe(
        Math.floor(statSync(mine.thread.path as string).mtimeMs / 1000),
      );
      expect(schemaErrors('ThreadReadResponse', mine)).toEqual([]);
    }
    const { thread } = await ledger.result<{ thread: Thread }>('thread/read', {
      threadId: rich,
      includeTurns: true,
    });
    expect(thread.updatedAt).toBe(secs(at(30)));
    const turns = thread.turns as {
      id: string;
      status: string;
      items: { type: string; id: string }[];
    }[];
    // What the comparison covered, so that an empty answer on both sides cannot pass it.
    expect(turns.map((t) => [t.id, t.status])).toEqual([
      [turn(1), 'completed'],
      [turn(2), 'interrupted'],
      [expect.stringMatching(/^rollout-\d+$/), 'completed'],
      [expect.stringMatching(/^rollout-\d+$/), 'completed'],
      [turn(3), 'interrupted'],
    ]);
    expect(turns[0]!.items.map((i) => i.type)).toEqual([
      'userMessage',
      'reasoning',
      'agentMessage',
      'fileChange',
      'mcpToolCall',
      'mcpToolCall',
      'webSearch',
      'webSearch',
      'plan',
      'agentMessage',
    ]);
    expect(turns[1]!.items.map((i) => i.type)).toEqual([
      'userMessage',
      'enteredReviewMode',
      'exitedReviewMode',
      'contextCompaction',
    ]);
  }, 20_000);

  it('thread/read of an unknown thread is refused by both', async () => {
    const mine = await ledger.call('thread/read', { threadId: id(99), includeTurns: true });
    const theirs = await codex.call('thread/read', { threadId: id(99), includeTurns: true });
    expect(mine.error?.code).toBe(-32600);
    expect(theirs.error?.code).toBe(-32600);
  }, 20_000);

  it('model_provider = "ollama": both list ollama threads by default (thread-ledger sees the edit without a restart)', async () => {
    writeFileSync(join(home, 'config.toml'), 'model_provider = "ollama"\n');
    await codex.close();
    codex = await startRealCodex(home); // Codex reads config.toml at start
    for (const params of [{}, { modelProviders: [] }, { modelProviders: ['openai'] }]) {
      const [mine, theirs] = await both<Page>('thread/list', params);
      expect(ids(mine), JSON.stringify(params)).toEqual(ids(theirs));
    }
    expect(ids(await ledger.result<Page>('thread/list', {}))).toEqual([id(3)]);
  }, 30_000);

  it('a config.toml that does not parse: both fall back to openai', async () => {
    writeFileSync(join(home, 'config.toml'), 'model_provider = "ollama\n');
    await codex.close();
    codex = await startRealCodex(home);
    const [mine, theirs] = await both<Page>('thread/list', {});
    expect(ids(mine)).toEqual(ids(theirs));
    expect(ids(mine)).toEqual([legacy, rich]);
  }, 30_000);
});
