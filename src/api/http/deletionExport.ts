import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { DeletionRequestRow } from '../../projections/deletionQueries.js';
import { DeletionSummary } from './deletionShapes.js';
import { summaryOnWire } from './deletionsOnWire.js';
import { jsonSchemaOf } from './jsonSchema.js';
import type { MediaAnswer } from './routeSchema.js';

export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson',
};

/** The export a request asks for: `?format=` first, else its Accept header; null for JSON. */
export const exportFormatOf = (
  format: 'json' | 'csv' | 'ndjson' | undefined,
  accept: string | undefined,
): ExportFormat | null => {
  if (format !== undefined) return format === 'json' ? null : format;
  const types = (accept ?? '').split(',').map((a) => a.split(';')[0]!.trim().toLowerCase());
  if (types.includes('text/csv')) return 'csv';
  if (types.includes('application/x-ndjson')) return 'ndjson';
  return null;
};

/** The columns of the CSV export, in order: the fields of a list row. */
export const CSV_COLUMNS: readonly (keyof DeletionSummary)[] = [
  'id',
  'rootThreadId',
  'status',
  'reason',
  'requestedBy',
  'requestId',
  'requestedAt',
  'completedAt',
  'updatedAt',
  'threadCount',
  'deletedThreadCount',
  'stepsDone',
  'failures',
  'failing',
  'lastError',
  'nextRetryAt',
];

/**
 * The exports as the OpenAPI document describes them: answers of `GET /v1/deletions`, 200. Fresh
 * schemas for each server: fastify keeps (and may amend) the schema objects a route registers.
 */
export const exportAnswers = (): MediaAnswer[] => [
  {
    mediaType: 'text/csv',
    description:
      'Every matching request as CSV (RFC 4180, CRLF, `header=present`), streamed: a header row ' +
      `(${CSV_COLUMNS.map((c) => `\`${c}\``).join(', ')}), then one row per request; \`failing\` ` +
      'as its JSON text, null as an empty cell, a cell starting with `=`, `+`, `-`, `@`, a tab or ' +
      "a carriage return prefixed with `'`. Asked for by `Accept: text/csv` or `?format=csv`",
    schema: { type: 'string' },
  },
  {
    mediaType: 'application/x-ndjson',
    description:
      'Every matching request as NDJSON, streamed: one list row (this schema) per line. Asked ' +
      'for by `Accept: application/x-ndjson` or `?format=ndjson`',
    schema: jsonSchemaOf(DeletionSummary),
  },
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * A cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
 * is prefixed with `'`. Null is an empty cell; a list (`failing`) is its JSON text.
 */
export const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const csvLine = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * How long an export waits on a client that reads nothing before it ends the export. The export
 * holds a snapshot of the read models while it runs, and a snapshot held keeps the WAL from being
 * emptied after a deletion (WalScrubber): a stalled client must not hold it for ever.
 */
export const EXPORT_STALL_MS = 30_000;

/**
 * Whether the socket drained (true) or closed, stalled for `ms`, or is still full when the server
 * stops (false): a stopping server waits for its requests, and a stalled one would hold it.
 */
const drained = (res: ServerResponse, ms: number, stopping?: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (stopping?.aborted) {
      resolve(false);
      return;
    }
    const done = (ok: boolean) => () => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      stopping?.removeEventListener('abort', onStop);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    const onStop = done(false);
    const timer = setTimeout(done(false), ms);
    res.on('drain', onDrain);
    res.on('close', onClose);
    stopping?.addEventListener('abort', onStop, { once: true });
  });

/**
 * Streams every row to the response, one at a time, waiting on the socket when it is full: the
 * whole result is never in memory. `close` releases the rows (early, if the client goes or
 * stalls for `stallMs`).
 */
export const streamExport =
  (
    request: FastifyRequest,
    format: ExportFormat,
    rows: Iterable<DeletionRequestRow>,
    close: () => void,
    stopping?: AbortSignal,
    stallMs = EXPORT_STALL_MS,
  ) =>
  (res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': EXPORT_TYPES[format],
      'content-disposition': `attachment; filename="deletions.${format === 'csv' ? 'csv' : 'ndjson'}"`,
      'cache-control': 'no-store',
      'x-request-id': request.id,
    });
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    void (async () => {
      try {
        if (format === 'csv') res.write(csvLine(CSV_COLUMNS));
        for (const row of rows) {
          if (gone) break;
          const wire = summaryOnWire(row);
          const line =
            format === 'csv'
              ? csvLine(CSV_COLUMNS.map((c) => wire[c]))
              : `${JSON.stringify(wire)}\n`;
          if (!res.write(line) && !(await drained(res, stallMs, stopping)) && !gone) {
            request.log.warn(
              `deletion export: client read nothing for ${stallMs} ms, or the server stops: ended`,
            );
            gone = true;
            res.destroy();
          }
        }
      } catch (err) {
        request.log.error(err);
        gone = true;
        res.destroy();
      } finally {
        close();
        if (!gone) res.end();
      }
    })();
  };
