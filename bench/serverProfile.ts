// Reads a V8 CPU profile of `thread-ledger serve` (node --cpu-prof): the share of its main
// thread's busy time spent under given source files, in the window of the HTTP create run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** The main thread's profile in `dir`: the largest (a loader's worker writes a small one too). */
export const mainProfile = (dir: string): CpuProfile => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (!files[0]) throw new Error(`no CPU profile in ${dir}`);
  return JSON.parse(readFileSync(files[0], 'utf8')) as CpuProfile;
};

const frameOf = (n: ProfileNode) => `${n.callFrame.functionName} ${n.callFrame.url}`;

/**
 * Busy time (idle samples left out) from the first sample under `from`
 * to the first under `until`, and for each named group of frames the part of it under them
 * (each sample counted once per group, however deep its frames recur).
 */
export const sharesInWindow = (
  p: CpuProfile,
  from: RegExp,
  until: RegExp,
  groups: Record<string, RegExp>,
): { busyMs: number; share: Record<string, number> } => {
  const parent = new Map<number, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number) => {
    const s: string[] = [];
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x))
      s.push(frameOf(byId.get(x)!));
    return s;
  };
  const under = Object.fromEntries(Object.keys(groups).map((g) => [g, 0]));
  let busy = 0;
  let started = false;
  for (let i = 0; i < p.samples.length; i++) {
    const stack = stackOf(p.samples[i]!);
    if (!started && !stack.some((f) => from.test(f))) continue;
    started = true;
    if (stack.some((f) => until.test(f))) break;
    if (stack[0]!.startsWith('(idle) ')) continue;
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time is the delta to the next one
    busy += dt;
    for (const [g, re] of Object.entries(groups))
      if (stack.some((f) => re.test(f))) under[g]! += dt;
  }
  const share = Object.fromEntries(Object.entries(under).map(([g, t]) => [g, busy ? t / busy : 0]));
  return { busyMs: busy / 1000, share };
};
