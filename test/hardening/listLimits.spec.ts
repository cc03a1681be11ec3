import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH } from '../../src/domain/threadDecider.js';
import { MAX_SEARCH_TERM_LENGTH } from '../../src/projections/threadListQuery.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { userMessage, writeRolloutFile } from '../support/rolloutWriter.js';
import { ServeProcess } from '../support/serveProcess.js';
import { tempDir } from '../support/tempDir.js';

describe('list filters and names: long lists work, documented limits are refused as invalid params', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('stdio app-server: a 40,000-entry cwd filter is answered; an over-long searchTerm or name is -32602 naming it; an over-long indexed name is reported, the thread imported', async () => {
    const home = await tempDir();
    const at = new Date('2026-02-01T09:00:00Z');
    const ids = [uuidv7(), uuidv7()];
    writeRolloutFile(home.path, {
      id: ids[0]!,
      createdAt: at,
      mtime: at,
      provider: 'openai',
      cwd: '/work/needle',
      lines: [userMessage('one')],
    });
    const later = new Date(at.getTime() + 1000);
    writeRolloutFile(home.path, {
      id: ids[1]!,
      createdAt: later,
      mtime: later,
      provider: 'openai',
      cwd: '/work/other',
      lines: [userMessage('two')],
    });
    appendFileSync(
      join(home.path, 'session_index.jsonl'),
      `${JSON.stringify({ id: ids[1], thread_name: 'n'.repeat(MAX_NAME_LENGTH + 1), updated_at: at.toISOString() })}\n`,
    );
    const server = await LedgerAppServer.start(home.path);
    cleanups.push(
      () => home.remove(),
      () => server.kill(),
    );
    expect(server.output).toContain(
      `name of thread ${ids[1]} not imported: must be at most ${MAX_NAME_LENGTH} characters, got ${MAX_NAME_LENGTH + 1}`,
    );

    const cwd = [...Array.from({ length: 40_000 }, (_, i) => `/work/p${i}`), '/work/needle'];
    const found = await server.call('thread/list', { cwd });
    expect(found.error).toBeUndefined();
    expect((found.result as { data: { id: string }[] }).data.map((t) => t.id)).toEqual([ids[0]]);
    const all = await server.call('thread/list', {
      excludedThreadIds: [ids[0]],
      sourceKinds: ['cli', 'vscode', 'exec'],
      modelProviders: ['openai', ...Array.from({ length: 40_000 }, (_, i) => `p${i}`)],
    });
    expect(
      (all.result as { data: { id: string; name: string | null }[] }).data.map((t) => [
        t.id,
        t.name,
      ]),
    ).toEqual([[ids[1], null]]);

    const longTerm = await server.call('thread/list', { searchTerm: 'x'.repeat(100_000) });
    expect(longTerm.error).toEqual({
      code: -32602,
      message: `Invalid params: \`searchTerm\` must be at most ${MAX_SEARCH_TERM_LENGTH} characters, got 100000`,
    });
    const justFits = await server.call('thread/list', {
      searchTerm: `${'%_\\'.repeat(MAX_SEARCH_TERM_LENGTH / 4)}abcd`,
    });
    expect(justFits.result).toMatchObject({ data: [] });

    const longName = await server.call('thread/name/set', {
      threadId: ids[0],
      name: 'n'.repeat(MAX_NAME_LENGTH + 1),
    });
    expect(longName.error).toEqual({
      code: -32602,
      message: `Invalid params: \`name\` must be at most ${MAX_NAME_LENGTH} characters, got ${MAX_NAME_LENGTH + 1}`,
    });
    const empty = await server.call('thread/name/set', { threadId: ids[0], name: '   ' });
    expect(empty.error).toEqual({ code: -32600, message: 'thread name must not be empty' });
    expect(
      (
        await server.call('thread/name/set', {
          threadId: ids[0],
          name: `  ${'m'.repeat(MAX_NAME_LENGTH)}  `,
        })
      ).result,
    ).toEqual({});
    expect(server.child.exitCode).toBeNull();
  });

  it('serve: HTTP refuses an over-long searchTerm and name with a 400 problem naming the field; a long cwd list goes through', async () => {
    const serve = await ServeProcess.start();
    cleanups.push(() => serve.stop());
    const started = await serve.request('POST', '/v1/threads', {
      body: JSON.stringify({ cwd: '/w/needle', modelProvider: 'openai', sourceKind: 'cli' }),
    });
    expect(started.status).toBe(201);
    const term = await serve.request(
      'GET',
      `/v1/threads?searchTerm=${'y'.repeat(MAX_SEARCH_TERM_LENGTH + 1)}`,
    );
    expect(term.status).toBe(400);
    expect(term.body).toMatchObject({
      type: 'https://thread-ledger.dev/problems/validation',
      errors: [{ field: 'searchTerm' }],
    });
    const named = await serve.request('POST', `/v1/threads/${started.body.threadId}/name`, {
      body: JSON.stringify({ name: 'z'.repeat(MAX_NAME_LENGTH + 1) }),
    });
    expect(named.status).toBe(400);
    const cwd = [...Array.from({ length: 500 }, (_, i) => `/w/p${i}`), '/w/needle']
      .map((c) => `cwd=${encodeURIComponent(c)}`)
      .join('&');
    const listed = await serve.request(
      'GET',
      `/v1/threads?minPosition=${started.body.position}&${cwd}`,
    );
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data).toHaveLength(1);
  });
});
