import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThreadId } from '../../src/domain/ids.js';
import { ctx, ledgerFixture } from './ledgerFixture.js';
import { unwrap } from './unwrap.js';

/** A closed ledger's data folder: a deleted subtree among other threads, its checkpoints signed. */
export type EvidenceFolder = {
  readonly dir: string;
  readonly data: string;
  readonly root: ThreadId;
  /** Every thread of the deleted subtree, the root first. */
  readonly deleted: readonly ThreadId[];
  readonly live: ThreadId;
  readonly verifierText: string;
  remove(): Promise<void>;
};

/**
 * Builds the folder in process, then closes the ledger (a clean shutdown signs the rest): 20
 * threads, a checkpoint, a subtree of 4 deleted by `dpo`, 10 threads more. The CLI runs over it.
 */
export const evidenceFolder = async (): Promise<EvidenceFolder> => {
  const f = await ledgerFixture();
  for (let i = 0; i < 20; i++) await f.root();
  await f.ledger.runner.catchUp();
  f.ledger.evidence.signer.signNow();
  const { root, all } = await f.tree(4, 2);
  const live = await f.root();
  unwrap(await f.ledger.lifecycle.delete(root, 'the user asked', { ...ctx, actor: 'dpo' }));
  await f.ledger.worker.runPass();
  for (let i = 0; i < 10; i++) await f.root();
  await f.ledger.runner.catchUp();
  const verifierText = f.ledger.evidence.key.verifierText;
  await f.ledger.close();
  // The ledger is closed: what is left of the fixture is its folder.
  return {
    dir: f.dir,
    data: join(f.dir, 'data'),
    root,
    deleted: all,
    live,
    verifierText,
    remove: () => rm(f.dir, { recursive: true, force: true }),
  };
};
