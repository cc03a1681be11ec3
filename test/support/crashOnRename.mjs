// Loaded into a thread-ledger process with NODE_OPTIONS="--import <this file>": the process
// SIGKILLs itself at the moment it is about to rename a file whose path contains CRASH_ON_RENAME
// (say, the temp file of a rewrite of history.jsonl, written and fsynced, not yet renamed over the
// original): a crash at that exact point, for specs that need one.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const needle = process.env.CRASH_ON_RENAME;
if (needle) {
  const renameSync = fs.renameSync;
  fs.renameSync = function (from, ...rest) {
    if (String(from).includes(needle)) process.kill(process.pid, 'SIGKILL');
    return renameSync.call(this, from, ...rest);
  };
  // The ESM named exports (`import { renameSync } from 'node:fs'`) follow the patched function.
  syncBuiltinESMExports();
}
