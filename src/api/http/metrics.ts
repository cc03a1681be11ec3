import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../../app/ledger.js';

/** HTTP requests answered, by method, route (as declared) and status. */
export class RequestCounts {
  private readonly counts = new Map<string, number>();

  /** An `onResponse` hook: counts the answer (a request that matched no route, as `unmatched`). */
  readonly count = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const key = `${req.method} ${req.routeOptions.url ?? 'unmatched'} ${reply.statusCode}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  entries(): [method: string, route: string, status: string, n: number][] {
    return [...this.counts].map(([key, n]) => {
      const [method, route, status] = key.split(' ');
      return [method!, route!, status!, n];
    });
  }
}

/** What the metrics are read from. */
export type MetricsSources = {
  readonly requests: RequestCounts;
  readonly deletions: Record<string, number>;
  readonly projectionLag: number;
} & Pick<Ledger, 'commands' | 'codec'>;

/** One metric in the Prometheus text format: its help, its type, its samples. */
const metric = (name: string, type: string, help: string, samples: string[]): string[] => [
  `# HELP ${name} ${help}`,
  `# TYPE ${name} ${type}`,
  ...samples,
];

/** One sample: `name{label="value",...} value`. */
const sample = (name: string, labels: Record<string, string>, value: number): string => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? `${name} ${value}` : `${name}{${pairs.join(',')}} ${value}`;
};

/** The metrics of the service, in the Prometheus text format (version 0.0.4). */
export const metricsText = (m: MetricsSources): string => {
  const lines = [
    ...metric(
      'thread_ledger_http_requests_total',
      'counter',
      'HTTP requests by method, route and status ' +
        '(commands are POST and DELETE; 409 is a conflict).',
      m.requests
        .entries()
        .map(([method, route, status, n]) =>
          sample('thread_ledger_http_requests_total', { method, route, status }, n),
        ),
    ),
    ...metric(
      'thread_ledger_deletions',
      'gauge',
      'Deletion records by status.',
      ['pending', 'failing', 'deleted'].map((status) =>
        sample('thread_ledger_deletions', { status }, m.deletions[status] ?? 0),
      ),
    ),
    ...metric(
      'thread_ledger_projection_lag',
      'gauge',
      'How far the read models are behind the log, in log positions ' +
        '(events, on the embedded store).',
      [sample('thread_ledger_projection_lag', {}, m.projectionLag)],
    ),
    ...metric(
      'thread_ledger_commands_total',
      'counter',
      'Commands handled, by type and outcome (applied, unchanged, replayed, or the refusal).',
      m.commands.stats
        .entries()
        .map(([type, outcome, n]) => sample('thread_ledger_commands_total', { type, outcome }, n)),
    ),
    ...metric(
      'thread_ledger_append_conflicts_total',
      'counter',
      'Appends that lost a race to another writer of the stream (then decided again).',
      [sample('thread_ledger_append_conflicts_total', {}, m.commands.stats.conflicts)],
    ),
    ...metric(
      'thread_ledger_unreadable_content_total',
      'counter',
      'Sealed values that did not open under their thread key (a lost or wrong key store).',
      [sample('thread_ledger_unreadable_content_total', {}, m.codec.unreadable)],
    ),
  ];
  return `${lines.join('\n')}\n`;
};
