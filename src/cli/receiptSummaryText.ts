import type { ReceiptSummary, StepRecord, ThreadSummary } from '../evidence/receiptCheck.js';

/** A recorded time (epoch milliseconds), as ISO 8601 UTC. */
const iso = (ms: number): string => new Date(ms).toISOString();

/** What a step recorded, in words: sizes and hashes of files, rows per table, lines, a waiver's reason. */
const detailText = (s: StepRecord): string => {
  const d = s.detail;
  if (s.outcome === 'waived') return `waived by ${s.by}: ${JSON.stringify(d['reason'] ?? '')}`;
  const parts: string[] = [];
  if (typeof d['sizeBytes'] === 'number') parts.push(`${d['sizeBytes']} bytes`);
  if (typeof d['sha256'] === 'string') parts.push(`sha256 ${d['sha256']}`);
  if (typeof d['linesRemoved'] === 'number') parts.push(`${d['linesRemoved']} lines removed`);
  if (Array.isArray(d['tables']))
    parts.push(
      `rows removed: ${
        (d['tables'] as { table: string; rows: number }[])
          .map((t) => `${t.table} ${t.rows}`)
          .join(', ') || 'none'
      }`,
    );
  if (s.key === 'content')
    parts.push(
      s.outcome === 'destroyed' ? 'its content key destroyed' : 'it had no content key left',
    );
  return parts.join(', ');
};

const stepLine = (s: StepRecord): string => {
  const detail = detailText(s);
  return `    ${s.key}: ${s.outcome}${detail ? `, ${detail}` : ''} (at ${iso(s.at)} by ${s.by}, position ${s.position})`;
};

const threadLines = (t: ThreadSummary): string[] => [
  `  thread ${t.threadId}${t.parentThreadId ? ` (child of ${t.parentThreadId})` : ' (the root)'}: deletion requested ${iso(t.requestedAt)}, deleted ${iso(t.deletedAt)}${t.failures > 0 ? `, after at least ${t.failures} failed attempts` : ''}`,
  ...t.steps.map(stepLine),
];

/** What a valid, complete receipt proves, for a reviewer to read. */
export const receiptSummaryText = (s: ReceiptSummary): string =>
  [
    `receipt valid and complete: thread ${s.rootThreadId} and its subtree (${s.threads.length} threads) deleted`,
    ...(s.threadId !== s.rootThreadId ? [`asked for: thread ${s.threadId}, of that subtree`] : []),
    `root: ${s.rootThreadId}`,
    `requested by: ${s.requestedBy} (request ${s.requestId})`,
    `requested at: ${iso(s.requestedAt)}`,
    `reason: ${s.reason === null ? '(none given)' : JSON.stringify(s.reason)}`,
    `completed at: ${iso(s.completedAt)}`,
    `checkpoint: ${s.checkpoint.origin}, tree size ${s.checkpoint.size}, signed by key ${s.keyName}`,
    `entries: ${s.entries} events, each proven in the signed log`,
    'threads:',
    ...s.threads.flatMap(threadLines),
  ]
    .map((line) => `${line}\n`)
    .join('');
