import { useEffect, useState } from 'preact/hooks';
import { getJson, getText } from '../api.js';
import type { DeletionSummary, Deletions } from '../apiShapes.js';
import { navigate } from '../components/navigate.js';
import { StatusWord } from '../components/statusWord.js';
import { TableScroll } from '../components/tableScroll.js';
import { saveFile } from '../download.js';
import { formatTime } from '../durations.js';
import { html } from '../html.js';
import { href } from '../router.js';

/** The filters, as the URL and the API both spell them. */
const FILTERS = ['status', 'actor', 'since', 'until'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const PAGE_SIZE = '50';

const filtersOf = (q: URLSearchParams): Filters =>
  Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? ''])) as Filters;

/** The query of the API (and of the page's URL): the filters set, then the rest given. */
const queryOf = (f: Filters, more: Record<string, string | null> = {}): URLSearchParams => {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (f[k].trim() !== '') q.set(k, f[k].trim());
  for (const [k, v] of Object.entries(more)) if (v) q.set(k, v);
  return q;
};

const pageUrl = (q: URLSearchParams) => href(`/deletions${q.size > 0 ? `?${q}` : ''}`);

/** The filters in words, for the printed report (which has no form). */
const filtersInWords = (f: Filters, cursor: string | null): string => {
  const said = [
    f.status && `with status ${f.status}`,
    f.actor && `requested by ${f.actor}`,
    f.since && `requested from ${f.since}`,
    f.until && `requested until ${f.until}`,
  ].filter(Boolean);
  const which = said.length === 0 ? 'every deletion' : `deletions ${said.join(', ')}`;
  return `Shown: ${which}${cursor ? ', a later page' : ''}; listed ${formatTime(new Date().toISOString())}.`;
};

const FilterForm = ({ initial }: { initial: Filters }) => {
  const [f, setF] = useState(initial);
  const field = (k: keyof Filters) => ({
    id: `filter-${k}`,
    name: k,
    value: f[k],
    onInput: (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value }),
  });
  return html`<form class="deletion-filters" role="search" aria-label="Filter deletions"
    onSubmit=${(e: Event) => {
      e.preventDefault();
      navigate(pageUrl(queryOf(f)));
    }}>
    <div>
      <label for="filter-status">Status</label>
      <select ...${field('status')}>
        <option value="">any</option>
        <option value="pending">pending</option>
        <option value="failing">failing</option>
        <option value="deleted">deleted</option>
      </select>
    </div>
    <div>
      <label for="filter-actor">Requested by</label>
      <input type="text" autocomplete="off" placeholder="subject" ...${field('actor')} />
    </div>
    <div>
      <label for="filter-since">Requested from</label>
      <input type="text" autocomplete="off" placeholder="2026-01-01" aria-describedby="time-help" ...${field('since')} />
    </div>
    <div>
      <label for="filter-until">Requested until</label>
      <input type="text" autocomplete="off" placeholder="2026-02-01" aria-describedby="time-help" ...${field('until')} />
    </div>
    <div class="actions">
      <button type="submit">Filter</button>
      <a href=${href('/deletions')}>Clear</a>
    </div>
    <p id="time-help" class="help">Times in ISO 8601 (UTC unless an offset is given) or epoch milliseconds.</p>
  </form>`;
};

/** Every matching deletion, exported by the server (not just this page), saved as a file. */
const Exports = ({ filters }: { filters: Filters }) => {
  const [error, setError] = useState<string | null>(null);
  const stamp = () => new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  const exportAs = async (kind: 'csv' | 'json') => {
    setError(null);
    try {
      if (kind === 'csv') {
        const csv = await getText(
          `/v1/deletions?${queryOf(filters, { format: 'csv' })}`,
          'text/csv',
        );
        saveFile(csv, `deletions-${stamp()}.csv`, 'text/csv');
      } else {
        const ndjson = await getText(
          `/v1/deletions?${queryOf(filters, { format: 'ndjson' })}`,
          'application/x-ndjson',
        );
        const rows = ndjson
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as unknown);
        saveFile(
          `${JSON.stringify(rows, null, 2)}\n`,
          `deletions-${stamp()}.json`,
          'application/json',
        );
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return html`<div class="exports">
    <span>Export every matching deletion:</span>
    <button type="button" onClick=${() => exportAs('csv')}>Export CSV</button>
    <button type="button" onClick=${() => exportAs('json')}>Export JSON</button>
    ${error && html`<p class="error" role="alert">The export failed: ${error}</p>`}
  </div>`;
};

const Rows = ({ rows }: { rows: readonly DeletionSummary[] }) =>
  html`<${TableScroll} label="Deletion requests"><table class="deletions">
    <caption class="visually-hidden">Deletion requests, newest first</caption>
    <thead><tr>
      <th scope="col">Root thread</th><th scope="col">Status</th><th scope="col">Requested by</th>
      <th scope="col">Requested</th><th scope="col">Reason</th><th scope="col">Threads deleted</th>
      <th scope="col">Completed</th><th scope="col">Last error</th>
    </tr></thead>
    <tbody>
      ${rows.map(
        (d) => html`<tr>
          <th scope="row" class="id"><a href=${href(`/deletions/${encodeURIComponent(d.id)}`)}><code>${d.id}</code></a></th>
          <td><${StatusWord} status=${d.status} /></td>
          <td>${d.requestedBy}</td>
          <td>${formatTime(d.requestedAt)}</td>
          <td>${d.reason ?? '—'}</td>
          <td>${d.deletedThreadCount} of ${d.threadCount}</td>
          <td>${formatTime(d.completedAt)}</td>
          <td class="wrap">${d.lastError ?? (d.failures > 0 ? `${d.failures} failed attempts, since done` : '—')}</td>
        </tr>`,
      )}
    </tbody>
  </table></${TableScroll}>`;

/**
 * Every deletion request, newest first: filtered by a form whose values live in the URL (the
 * page deep-links), paged by the keyset cursor, each linking to its record, exported whole.
 */
export const DeletionsPage = ({ query }: { query: URLSearchParams }) => {
  const filters = filtersOf(query);
  const cursor = query.get('cursor');
  const limit = query.get('limit') ?? PAGE_SIZE;
  const apiQuery = queryOf(filters, { limit, cursor });
  const key = apiQuery.toString();
  const [page, setPage] = useState<
    { key: string; page: Deletions } | { key: string; error: string } | null
  >(null);
  useEffect(() => {
    let current = true;
    getJson<Deletions>(`/v1/deletions?${key}`).then(
      (p) => current && setPage({ key, page: p }),
      (err: unknown) =>
        current && setPage({ key, error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      current = false;
    };
  }, [key]);

  const next = (c: string) =>
    pageUrl(queryOf(filters, { limit: limit === PAGE_SIZE ? null : limit, cursor: c }));
  const first = pageUrl(queryOf(filters, { limit: limit === PAGE_SIZE ? null : limit }));
  const shown = page?.key === key ? page : null;
  return html`<main class="deletions-page">
    <h1>Deletions</h1>
    <p class="print-only">${filtersInWords(filters, cursor)}</p>
    <${FilterForm} key=${filters.status + filters.actor + filters.since + filters.until} initial=${filters} />
    <${Exports} filters=${filters} />
    ${
      shown === null
        ? html`<p class="loading" role="status">Loading…</p>`
        : 'error' in shown
          ? html`<p class="error" role="alert">Could not list the deletions: ${shown.error}</p>`
          : html`<p role="status">${
              shown.page.data.length === 0
                ? 'No deletion matches these filters.'
                : `${shown.page.data.length} ${shown.page.data.length === 1 ? 'deletion' : 'deletions'} on this page${cursor ? ' (a later page)' : ''}.`
            }</p>
            ${shown.page.data.length > 0 && html`<${Rows} rows=${shown.page.data} />`}
            ${
              (cursor || shown.page.nextCursor) &&
              html`<nav class="pager" aria-label="Pages">
                ${cursor && html`<a href=${first}>First page</a>`}
                ${shown.page.nextCursor && html`<a href=${next(shown.page.nextCursor)} rel="next">Next page</a>`}
              </nav>`
            }`
    }
  </main>`;
};
