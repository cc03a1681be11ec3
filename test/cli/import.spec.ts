import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, startCli } from '../support/cli.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { tempDir } from '../support/tempDir.js';

describe('thread-ledger import: its summary and its skip lines', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('counts the names it imported as renames, and names each skipped file once', async () => {
    // Given a Codex home with two named threads (one named twice) and malformed rollouts
    const dir = await tempDir();
    cleanups.push(() => dir.remove());
    const fx = generateCodexHome(join(dir.path, 'home'), { roots: 4, trees: 1 });
    const names = readFileSync(join(fx.home, 'session_index.jsonl'), 'utf8').trim().split('\n');
    const named = new Set(names.map((l) => (JSON.parse(l) as { id: string }).id));
    expect(named.size).toBe(2);

    // When it is imported from the shell
    const child = startCli(['import', '--codex-home', fx.home], { LEDGER_DATA_DIR: '' });
    expect((await exited(child)).code, child.output()).toBe(0);
    const output = child.output();

    // Then the summary counts the two names
    expect(output).toMatch(
      new RegExp(
        `${fx.threads.size} threads started, 0 updated, 2 renamed, ${fx.malformed.length} skipped`,
      ),
    );
    // and each skipped rollout has one line, naming its path once, then why
    for (const bad of fx.malformed) {
      const line = output.split('\n').find((l) => l.startsWith(`import: skipped ${bad}: `));
      expect(line, output).toBeDefined();
      expect(line!.split(bad)).toHaveLength(2);
    }

    // When it is imported again, nothing changed: nothing is renamed twice
    const again = startCli(['import', '--codex-home', fx.home], { LEDGER_DATA_DIR: '' });
    expect((await exited(again)).code, again.output()).toBe(0);
    expect(again.output()).toMatch(/ 0 renamed, /);
  });
});
