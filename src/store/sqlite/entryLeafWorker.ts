import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { leafHashOfText } from '../../io/evidence/nodeEvidenceCrypto.js';
import { ENTRY_SQL } from './entrySql.js';

/**
 * A worker of `readLeafPages`: hashes the evidence leaves of one range of positions of events.db,
 * read through its own read-only connection, so that several cores share the work of `verify`.
 */
export type LeafRange = { readonly file: string; readonly from: number; readonly to: number };
export type LeafPageData = { readonly positions: Float64Array; readonly hashes: Uint8Array };

let db: Database.Database | null = null;
let stmt: Database.Statement<[number, number], [number, string]> | null = null;

parentPort?.on('message', ({ file, from, to }: LeafRange) => {
  if (!db) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    stmt = db
      .prepare<[number, number], [number, string]>(
        `SELECT position, ${ENTRY_SQL} FROM events WHERE position > ? AND position <= ? ORDER BY position`,
      )
      .raw(true);
  }
  const rows = stmt!.all(from, to);
  const positions = new Float64Array(rows.length);
  const hashes = new Uint8Array(rows.length * 32);
  rows.forEach(([position, entry], i) => {
    positions[i] = position;
    hashes.set(leafHashOfText(entry), i * 32);
  });
  const page: LeafPageData = { positions, hashes };
  parentPort!.postMessage(page, [positions.buffer, hashes.buffer]);
});
