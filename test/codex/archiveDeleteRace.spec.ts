import { existsSync, writeFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/app/ledger.js';
import type { Relocation } from '../../src/app/threadLifecycle.js';
import { CodexHome } from '../../src/codex/codexHome.js';
import { CodexImporter } from '../../src/codex/codexImporter.js';
import { CodexThreads } from '../../src/codex/codexThreads.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { openCodexLedger } from '../../src/main/openCodexLedger.js';
import { generateCodexHome } from '../support/codexHomeFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { readLog } from '../support/log.js';
import { tempDir } from '../support/tempDir.js';
import { unwrap } from '../support/unwrap.js';

describe('a thread deleted while its archive moves its rollout', () => {
  let ledger: Ledger;
  let remove: () => Promise<void>;
  afterEach(async () => {
    await ledger.close();
    await remove();
  });

  it('purges the moved file where it went and records it, so the deletion leaves no rollout behind', async () => {
    const dir = await tempDir();
    remove = dir.remove;
    const fx = generateCodexHome(dir.path);
    const home = new CodexHome(dir.path);
    ledger = openCodexLedger(home, undefined);
    await new CodexImporter(home, ledger).run();
    const t = [...fx.threads.values()].find((x) => !x.archived && !fx.children.has(x.id))!;
    const id = t.id as ThreadId;
    writeFileSync(`${t.path}.zst`, 'compressed copy'); // Codex's compressed sibling moves with it
    const real = new CodexThreads(home, ledger).relocation;
    // The race, made certain: the tombstone commits between the file's move and its record.
    const racing: Relocation = {
      move: async (threadId, state, archive) => {
        const moved = await real.move(threadId, state, archive);
        unwrap(await ledger.lifecycle.delete(threadId, null, ctx));
        return moved;
      },
      orphaned: real.orphaned,
    };
    const archivedPath = home.archivedPathOf(t.path);

    const r = await ledger.lifecycle.archive(id, ctx, racing);
    expect(E.isLeft(r) && r.left.kind).toBe('ThreadTombstoned');
    expect(existsSync(archivedPath)).toBe(false); // purged where the move took it, sibling too
    expect(existsSync(`${archivedPath}.zst`)).toBe(false);
    await ledger.worker.runPass();

    expect(existsSync(t.path)).toBe(false);
    const purged = (await readLog(ledger)).flatMap((e) =>
      e.event.type === 'RolloutPurged' && e.event.data.threadId === id
        ? [[e.event.data.path, e.event.data.outcome]]
        : [],
    );
    expect(purged).toEqual(
      expect.arrayContaining([
        [archivedPath, 'removed'],
        [`${archivedPath}.zst`, 'removed'],
        [t.path, 'absent'],
        [`${t.path}.zst`, 'absent'],
      ]),
    );
    expect((await ledger.repo.load(id)).state.status).toBe('deleted');
  });
});
