import { AuditThread as AuditThreadCodec } from '../../../src/api/http/auditThreadShapes.js';
import { SourceKind } from '../../../src/domain/events.js';
import { getJson } from '../api.js';
import type { AuditThread, AuditThreads } from '../apiShapes.js';
import { navigate } from '../components/navigate.js';
import { Loading, ProblemView } from '../components/problemView.js';
import { StatusWord } from '../components/statusWord.js';
import { TableScroll } from '../components/tableScroll.js';
import { useLoad } from '../components/useLoad.js';
import { When } from '../components/when.js';
import { html } from '../html.js';
import { href } from '../router.js';

// The choices of the form, from the codecs the API decodes the query with.
const SOURCE_KINDS = Object.keys(SourceKind.keys);
const STATUSES = Object.keys(AuditThreadCodec.props.status.keys);
/** The query parameters the form owns: the URL's query is the form (a deep link is a search). */
const FIELDS = ['sourceKinds', 'archived', 'status', 'actor', 'since', 'until', 'limit'] as const;

const listOf = (q: URLSearchParams, name: string): string[] =>
  q
    .getAll(name)
    .flatMap((v) => v.split(','))
    .filter((v) => v !== '');

/** The API query from the page's: the form's fields and the cursor, nothing else. */
const apiQuery = (q: URLSearchParams): URLSearchParams => {
  const out = new URLSearchParams();
  for (const f of [...FIELDS, 'cursor']) {
    const v = f === 'sourceKinds' || f === 'status' ? listOf(q, f).join(',') : (q.get(f) ?? '');
    if (v !== '') out.set(f, v);
  }
  return out;
};

/** The form's values read back into a page query (a new search starts on the first page). */
const queryOfForm = (form: HTMLFormElement): URLSearchParams => {
  const data = new FormData(form);
  const out = new URLSearchParams();
  for (const f of FIELDS) {
    const v = data
      .getAll(f)
      .map((x) => String(x).trim())
      .filter((x) => x !== '');
    if (v.length > 0) out.set(f, v.join(','));
  }
  return out;
};

const Checkboxes = ({
  name,
  legend,
  options,
  checked,
}: {
  name: string;
  legend: string;
  options: readonly string[];
  checked: readonly string[];
}) =>
  html`<fieldset class="choices">
    <legend>${legend}</legend>
    ${options.map(
      (o) => html`<label class="choice" key=${o}>
        <input type="checkbox" name=${name} value=${o} checked=${checked.includes(o)} /> ${o}
      </label>`,
    )}
  </fieldset>`;

const Filters = ({ query }: { query: URLSearchParams }) => {
  // Keyed by the query: a deep link or Back shows its own values, not the last typed.
  const text = (name: string, label: string, hint?: string) =>
    html`<div class="field">
      <label for=${`f-${name}`}>${label}</label>
      <input id=${`f-${name}`} name=${name} defaultValue=${query.get(name) ?? ''}
        aria-describedby=${hint ? `f-${name}-hint` : undefined} />
      ${hint && html`<small id=${`f-${name}-hint`}>${hint}</small>`}
    </div>`;
  return html`<form class="filters" role="search" aria-label="Filter threads"
    onSubmit=${(e: Event) => {
      e.preventDefault();
      const q = queryOfForm(e.currentTarget as HTMLFormElement).toString();
      navigate(href(`/threads${q ? `?${q}` : ''}`));
    }}>
    <${Checkboxes} name="status" legend="Status" options=${STATUSES} checked=${listOf(query, 'status')} />
    <${Checkboxes} name="sourceKinds" legend="Source kind" options=${SOURCE_KINDS}
      checked=${listOf(query, 'sourceKinds')} />
    <div class="field-row">
      <div class="field">
        <label for="f-archived">Archived</label>
        <select id="f-archived" name="archived" value=${query.get('archived') ?? ''}>
          <option value="">either</option>
          <option value="true">archived only</option>
          <option value="false">not archived</option>
        </select>
      </div>
      ${text('actor', 'Actor', 'who started it or asked for its deletion')}
      ${text('since', 'Created since', 'ISO 8601 (2026-01-31T00:00:00Z) or epoch ms')}
      ${text('until', 'Created until', 'ISO 8601 or epoch ms')}
    </div>
    <div class="actions">
      <button type="submit">Search</button>
      <a href=${href('/threads')}>Clear filters</a>
    </div>
  </form>`;
};

const Row = ({ t }: { t: AuditThread }) =>
  html`<tr>
    <td><a class="mono" href=${href(`/threads/${encodeURIComponent(t.id)}`)}>${t.id}</a></td>
    <td><${StatusWord} status=${t.status} /></td>
    <td>${t.sourceKind}</td>
    <td>${t.depth ?? '—'}${t.parentThreadId && html`<br /><small>child of <a class="mono" href=${href(`/threads/${encodeURIComponent(t.parentThreadId)}`)}>${t.parentThreadId.slice(0, 8)}…</a></small>`}</td>
    <td><${When} at=${t.createdAt} /></td>
    <td>${t.createdBy}</td>
    <td>${t.archived ? 'archived' : 'no'}</td>
    <td>
      ${
        t.deletion
          ? html`<a href=${href(`/deletions/${encodeURIComponent(t.deletion.rootThreadId)}`)}>
${t.deletion.deletedAt ? 'deleted' : 'being deleted'}</a>${` by ${t.deletion.requestedBy}`}${t.deletion.reason ? html`: “${t.deletion.reason}”` : null}`
          : '—'
      }
    </td>
  </tr>`;

export const ThreadsPage = ({ query }: { query: URLSearchParams }) => {
  const api = apiQuery(query).toString();
  const loaded = useLoad(() => getJson<AuditThreads>(`/v1/audit/threads?${api}`), [api]);
  /** This search's page at `cursor` (null: the first): a link, so every page is a deep link. */
  const pageAt = (cursor: string | null) => {
    const q = apiQuery(query);
    if (cursor === null) q.delete('cursor');
    else q.set('cursor', cursor);
    return href(`/threads?${q}`);
  };
  return html`<main class="threads-page">
    <h1>Threads</h1>
    <p class="lede">Every thread ever started, deleted ones included. No content is shown: ids, who, when, status.</p>
    <${Filters} key=${query.toString()} query=${query} />
    <h2>Results</h2>
    ${
      loaded.state === 'loading'
        ? html`<${Loading} what="threads" />`
        : loaded.state === 'error'
          ? html`<${ProblemView} error=${loaded.error} what="the threads" />`
          : loaded.value.threads.length === 0
            ? html`<p role="status">No thread matches these filters.</p>`
            : html`<${TableScroll} label="Threads"><table class="threads">
                <caption>${loaded.value.threads.length} thread${loaded.value.threads.length === 1 ? '' : 's'}${query.get('cursor') ? ' (a later page)' : ''}, newest first</caption>
                <thead><tr>
                  <th scope="col">Thread</th><th scope="col">Status</th><th scope="col">Source</th>
                  <th scope="col">Depth</th><th scope="col">Created</th><th scope="col">Created by</th>
                  <th scope="col">Archived</th><th scope="col">Deletion</th>
                </tr></thead>
                <tbody>${loaded.value.threads.map((t) => html`<${Row} key=${t.id} t=${t} />`)}</tbody>
              </table></${TableScroll}>
              <nav class="pager" aria-label="Pages">
                ${query.get('cursor') && html`<a href=${pageAt(null)}>First page</a>`}
                ${loaded.value.nextCursor ? html`<a href=${pageAt(loaded.value.nextCursor)}>Next page</a>` : html`<span>Last page</span>`}
              </nav>`
    }
  </main>`;
};
