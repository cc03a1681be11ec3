import Database from 'better-sqlite3';
import { deletionRecordsProjection } from './deletionRecords.js';
import { evidenceTreeProjection } from './evidenceTree.js';
import { createProjectionTables, matchVersion, type Projection } from './projection.js';
import { sessionIndexProjection } from './sessionIndex.js';
import { subtreeGraphProjection } from './subtreeGraph.js';
import { threadCatalogProjection } from './threadCatalog.js';
import { threadListProjection } from './threadList.js';

export const allProjections: readonly Projection[] = [
  threadListProjection,
  subtreeGraphProjection,
  sessionIndexProjection,
  deletionRecordsProjection,
  evidenceTreeProjection,
  threadCatalogProjection,
];

/**
 * The read model database: every projection's tables and their checkpoints, in one SQLite file
 * beside the log. synchronous=NORMAL: a power cut may lose the last few updates, but never
 * separates an update from its checkpoint, so they are simply applied again from the log.
 * secure_delete: a removed row (a tombstoned thread's name and preview) is zeroed on disk, not
 * left in a free page. A projection whose version changed is refolded from the log (`matchVersion`).
 */
export const openReadModels = (
  file: string,
  projections: readonly Projection[] = allProjections,
): Database.Database => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('secure_delete = ON');
  db.pragma('cache_size = -32768'); // 32 MiB: the thread list's indexes stay in memory at 100k threads
  db.pragma('busy_timeout = 10000');
  db.exec(
    'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER) WITHOUT ROWID',
  );
  for (const p of projections) {
    matchVersion(db, p);
    createProjectionTables(db, p, '');
  }
  return db;
};
