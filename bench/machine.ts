import { cpus, totalmem } from 'node:os';

export const machine = (): string =>
  `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;

export const quantiles = (xs: number[]): { p50: number; p99: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p99: q(0.99), max: s[s.length - 1]! };
};

export const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(0));
