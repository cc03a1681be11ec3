// A worker thread that plays the attacker: while told to run, it swaps a folder or file of the
// Codex home for a symlink into the victim tree, waits a random few microseconds, swaps it back,
// and so on, picking a random target each time. Told to stop, it puts every target back and acks.
// It never follows a symlink itself: only one target is swapped at a time, and every rename is of
// a path of the home into the home.
//
// workerData: { targets: { path, aside, link }[], control: SharedArrayBuffer (Int32Array[3]), seed }
// control[0]: 0 stop, 1 run, 2 exit; control[1]: 1 when stopped and restored (the test sets it to 0 when it says run), -1 on an error (posted); control[2]: swaps done.
import {
  existsSync,
  lstatSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { targets, control: buffer, seed } = workerData;
const control = new Int32Array(buffer);
const nap = new Int32Array(new SharedArrayBuffer(4));
let state = seed >>> 0 || 1;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const lstat = (p) => lstatSync(p, { throwIfNoEntry: false });
const sleepMicros = (us) => {
  const until = process.hrtime.bigint() + BigInt(us) * 1000n;
  while (process.hrtime.bigint() < until) {}
};

const swapOut = (t) => {
  try {
    renameSync(t.path, t.aside);
  } catch {
    return;
  }
  try {
    symlinkSync(t.link, t.path);
  } catch {} // the code under test created the path again meanwhile: swapIn merges it back
};

/** Moves what is in `from` into `to` (folders merged), then removes `from`. */
const merge = (from, to) => {
  for (const name of readdirSync(from)) {
    const a = join(from, name);
    const b = join(to, name);
    if (lstat(a)?.isDirectory() && lstat(b)?.isDirectory()) merge(a, b);
    else renameSync(a, b);
  }
  rmdirSync(from);
};

const busy = (err) => ['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(err?.code);

/**
 * Puts the real folder or file back; whatever the code under test created in its place meanwhile
 * is merged into it (retried: the code under test may still be adding to it).
 */
const swapIn = (t) => {
  for (let attempt = 0; ; attempt++) {
    try {
      if (lstat(t.aside) === undefined) return;
      const st = lstat(t.path);
      if (st?.isSymbolicLink()) unlinkSync(t.path);
      else if (st?.isDirectory()) merge(t.path, t.aside);
      else if (st !== undefined) {
        rmSync(t.aside); // a file created in its place: keep the new one
        return;
      }
      renameSync(t.aside, t.path);
      return;
    } catch (err) {
      if (!busy(err) || attempt > 1000) throw err;
    }
  }
};

const loop = () => {
  for (;;) {
    const c = Atomics.load(control, 0);
    if (c === 2) break;
    if (c === 0) {
      if (Atomics.load(control, 1) === 0) {
        for (const t of targets) swapIn(t);
        Atomics.store(control, 1, 1);
        Atomics.notify(control, 1);
      }
      Atomics.wait(control, 0, 0, 50);
      continue;
    }
    const t = targets[Math.floor(random() * targets.length)];
    swapOut(t);
    Atomics.add(control, 2, 1);
    sleepMicros(Math.floor(random() * 400));
    swapIn(t);
    if (random() < 0.5) sleepMicros(Math.floor(random() * 200));
    else Atomics.wait(nap, 0, 0, 0); // yield
  }
};
try {
  loop();
} catch (err) {
  parentPort.postMessage(String(err?.stack ?? err));
  Atomics.store(control, 1, -1);
  Atomics.notify(control, 1);
  throw err;
}
for (const t of targets) if (existsSync(t.aside) || lstat(t.path)?.isSymbolicLink()) swapIn(t);
