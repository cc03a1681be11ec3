import { getJson } from '../api.js';
import type { History, Recorded, Subtree } from '../apiShapes.js';
import { Loading, ProblemView } from '../components/problemView.js';
import { RecordedData } from '../components/sealedValues.js';
import { StatusWord } from '../components/statusWord.js';
import { TableScroll } from '../components/tableScroll.js';
import { ThreadTree } from '../components/threadTree.js';
import { useLoad } from '../components/useLoad.js';
import { When } from '../components/when.js';
import { html } from '../html.js';
import { href } from '../router.js';

const field = (o: unknown, name: string): string | null => {
  const v = (o as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v : null;
};

const Timeline = ({ events }: { events: readonly Recorded[] }) => {
  // The key is destroyed from the shredding on: what was sealed can never be read again.
  const shredded = events.some((e) => e.type === 'ThreadContentShredded');
  return html`<${TableScroll} label="Timeline"><table class="timeline">
    <caption>${events.length} events, oldest first${shredded ? ': its content key is destroyed, sealed values are shredded' : ''}</caption>
    <thead><tr>
      <th scope="col">Rev.</th><th scope="col">Event</th><th scope="col">Recorded</th>
      <th scope="col">By (request)</th><th scope="col">Reason</th>
      <th scope="col">Data</th><th scope="col">Position</th>
    </tr></thead>
    <tbody>
      ${events.map(
        (e) => html`<tr key=${e.id}>
          <td>${e.revision}</td>
          <th scope="row" class="event-type">${e.type}</th>
          <td><${When} at=${e.recordedAt} /></td>
          <td>${field(e.metadata, 'actor') ?? '—'}<br /><small class="mono request">${field(e.metadata, 'requestId') ?? ''}</small></td>
          <td>${field(e.data, 'reason') ?? html`<span class="none">—</span>`}</td>
          <td><${RecordedData} data=${e.data} shredded=${shredded} /></td>
          <td class="mono">${e.position}</td>
        </tr>`,
      )}
    </tbody>
  </table></${TableScroll}>`;
};

export const ThreadPage = ({ id }: { id: string }) => {
  const path = encodeURIComponent(id);
  const history = useLoad(() => getJson<History>(`/v1/threads/${path}/history`), [id]);
  const subtree = useLoad(() => getJson<Subtree>(`/v1/threads/${path}/subtree`), [id]);
  const tombstone =
    history.state === 'ok'
      ? history.value.events.find((e) => e.type === 'ThreadDeleteRequested')
      : undefined;
  const deletionRoot = tombstone ? (field(tombstone.data, 'rootThreadId') ?? id) : null;
  return html`<main class="thread-page">
    <h1>Thread <span class="mono">${id}</span></h1>
    ${
      subtree.state === 'ok' &&
      html`<p class="facts">Status: <${StatusWord} status=${subtree.value.thread.status} />
        ${deletionRoot && html` · <a href=${href(`/deletions/${encodeURIComponent(deletionRoot)}`)}>Its deletion${deletionRoot === id ? '' : html` (requested on <span class="mono">${deletionRoot}</span>)`}</a>`}</p>`
    }
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      <p class="lede">Every event of the thread as the log records it. Content stays sealed: it is never shown.</p>
      ${
        history.state === 'loading'
          ? html`<${Loading} what="the history" />`
          : history.state === 'error'
            ? html`<${ProblemView} error=${history.error} what="the history" />`
            : html`<${Timeline} events=${history.value.events} />`
      }
    </section>
    <section aria-labelledby="subtree-h">
      <h2 id="subtree-h">Subtree</h2>
      ${
        subtree.state === 'loading'
          ? html`<${Loading} what="the subtree" />`
          : subtree.state === 'error'
            ? html`<${ProblemView} error=${subtree.error} what="the subtree" />`
            : html`<${ThreadTree} label="Spawn tree" current=${id}
                nodes=${[...subtree.value.ancestors, subtree.value.thread, ...subtree.value.descendants]} />`
      }
    </section>
  </main>`;
};
