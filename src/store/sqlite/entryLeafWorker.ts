import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type Hash, storedHashCount, storedHashesForLeaf } from '../../evidence/merkle.js';
import { leafHashOfText, nodeTreeHasher } from '../../io/evidence/nodeEvidenceCrypto.js';
import { ENTRY_SQL } from './entrySql.js';

/**
 * A worker of `readLeafPages`: hashes one aligned block of the log (the events from position
 * `first` to `last`, `count` of them): its leaves and its whole subtree, stored-hash layout, read
 * through its own read-only connection, so that the cores share the work of `verify`.
 */
export type LeafRange = {
  readonly file: string;
  readonly first: number;
  readonly last: number;
  readonly count: number;
};
/** The block's positions and its stored hashes (32 bytes each, tlog's layout, local indexes). */
export type LeafPageData = { readonly positions: Float64Array; readonly stored: Uint8Array };

let stmt: Database.Statement<[number, number], [number, string]> | null = null;

parentPort?.on('message', ({ file, first, last, count }: LeafRange) => {
  stmt ??= new Database(file, { readonly: true, fileMustExist: true })
    .prepare<[number, number], [number, string]>(
      `SELECT position, ${ENTRY_SQL} FROM events WHERE position >= ? AND position <= ? ORDER BY position`,
    )
    .raw(true);
  const rows = stmt.all(first, last);
  // The log changed under the count (an append between the two reads is past `last`): read as is.
  const n = Math.min(rows.length, count);
  const positions = new Float64Array(n);
  const stored = new Uint8Array(storedHashCount(n) * 32);
  const hashes: Hash[] = [];
  const read = (indexes: readonly number[]) => indexes.map((i) => hashes[i]!);
  for (let i = 0; i < n; i++) {
    const [position, entry] = rows[i]!;
    positions[i] = position;
    for (const h of storedHashesForLeaf(nodeTreeHasher, i, leafHashOfText(entry), read))
      hashes.push(h);
  }
  hashes.forEach((h, i) => {
    stored.set(h, i * 32);
  });
  parentPort!.postMessage({ positions, stored } satisfies LeafPageData, [
    positions.buffer,
    stored.buffer,
  ]);
});
