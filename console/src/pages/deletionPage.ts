import { getJson } from '../api.js';
import type { Deletion, DeletionThread, OneDeletion, DeletionStep as Step } from '../apiShapes.js';
import { Loading, ProblemView } from '../components/problemView.js';
import { ReceiptPanel } from '../components/receiptPanel.js';
import { StatusWord } from '../components/statusWord.js';
import { TableScroll } from '../components/tableScroll.js';
import { ThreadTree } from '../components/threadTree.js';
import { useLoad } from '../components/useLoad.js';
import { When } from '../components/when.js';
import { html } from '../html.js';
import { href } from '../router.js';

const text = (o: unknown, name: string): string | null => {
  const v = (o as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v : null;
};

/** A step's state: done (how), failed (its last error, its next retry), waived (who, why). */
const StepState = ({ s }: { s: Step }) => {
  if (s.state === 'waived')
    return html`<${StatusWord} status="waived" /> by <strong>${text(s.detail, 'waivedBy') ?? 'unknown'}</strong>:
      “${text(s.detail, 'reason') ?? ''}”`;
  if (s.state === 'failed')
    return html`<${StatusWord} status="failed" /><div class="error">${s.lastError}</div>
      <small>next retry <${When} at=${s.nextRetryAt} /></small>`;
  return html`<${StatusWord} status="done" />${s.outcome ? ` (${s.outcome})` : ''}`;
};

const ThreadSteps = ({ t, root }: { t: DeletionThread; root: string }) =>
  html`<section class="thread-steps" aria-labelledby=${`t-${t.threadId}`}>
    <h3 id=${`t-${t.threadId}`}>
      ${t.threadId === root ? 'Root ' : 'Thread '}
      <a class="mono" href=${href(`/threads/${encodeURIComponent(t.threadId)}`)}>${t.threadId}</a>
      ${' '}<${StatusWord} status=${t.status} />
    </h3>
    <p class="facts">
      Requested <${When} at=${t.requestedAt} />${t.completedAt ? html` · deleted <${When} at=${t.completedAt} />` : ' · not deleted yet'}
      ${` · ${t.stepsDone} step${t.stepsDone === 1 ? '' : 's'} done · ${t.failures} failed attempt${t.failures === 1 ? '' : 's'}`}
    </p>
    ${
      t.steps.length === 0
        ? html`<p>No step recorded yet.</p>`
        : html`<${TableScroll} label=${`Steps of ${t.threadId}`}><table class="steps">
            <thead><tr>
              <th scope="col">Step</th><th scope="col">Target</th><th scope="col">State</th>
              <th scope="col">Attempts</th><th scope="col">Last change</th>
            </tr></thead>
            <tbody>${t.steps.map(
              (s) => html`<tr key=${s.step}>
                <th scope="row">${s.kind}</th>
                <td class="mono target">${s.target ?? '—'}</td>
                <td><${StepState} s=${s} /></td>
                <td>${s.attempts}</td>
                <td><${When} at=${s.updatedAt} /></td>
              </tr>`,
            )}</tbody>
          </table></${TableScroll}>`
    }
  </section>`;

const Record = ({ d, id }: { d: Deletion; id: string }) =>
  html`<h1>Deletion of <span class="mono">${d.rootThreadId}</span></h1>
    ${id !== d.rootThreadId && html`<p class="facts">Opened from thread <span class="mono">${id}</span> of its subtree.</p>`}
    <dl class="summary">
      <div><dt>Status</dt><dd><${StatusWord} status=${d.status} /></dd></div>
      <div><dt>Requested by</dt><dd>${d.requestedBy} <span class="mono">(request ${d.requestId})</span></dd></div>
      <div><dt>Reason</dt><dd>${d.reason ?? html`<span class="none">none given</span>`}</dd></div>
      <div><dt>Requested</dt><dd><${When} at=${d.requestedAt} /></dd></div>
      <div><dt>Completed</dt><dd>${d.completedAt ? html`<${When} at=${d.completedAt} />` : 'not yet'}</dd></div>
      <div><dt>Threads</dt><dd>${d.deletedThreadCount} of ${d.threadCount} deleted</dd></div>
      <div><dt>Steps</dt><dd>${d.stepsDone} done, ${d.failures} failed attempts</dd></div>
      ${
        d.lastError &&
        (d.nextRetryAt
          ? html`<div><dt>Last error</dt><dd class="error">${d.lastError} (next retry <${When} at=${d.nextRetryAt} />)</dd></div>`
          : html`<div><dt>Last error</dt><dd>${d.lastError} <em>(since settled)</em></dd></div>`)
      }
    </dl>
    <section aria-labelledby="receipt-h" class="receipt-section">
      <h2 id="receipt-h">Receipt</h2>
      <${ReceiptPanel} id=${d.rootThreadId} root=${d.rootThreadId} />
    </section>
    <section aria-labelledby="subtree-h" class="subtree-section">
      <h2 id="subtree-h">Subtree</h2>
      <${ThreadTree} label="Threads of this deletion" nodes=${d.threads} />
    </section>
    <section aria-labelledby="steps-h">
      <h2 id="steps-h">Steps, thread by thread</h2>
      ${d.threads.map((t) => html`<${ThreadSteps} key=${t.threadId} t=${t} root=${d.rootThreadId} />`)}
    </section>`;

export const DeletionPage = ({ id }: { id: string }) => {
  const loaded = useLoad(
    () => getJson<OneDeletion>(`/v1/deletions/${encodeURIComponent(id)}`),
    [id],
  );
  return html`<main class="deletion-page">
    ${
      loaded.state === 'loading'
        ? html`<h1>Deletion</h1><${Loading} what="the deletion" />`
        : loaded.state === 'error'
          ? html`<h1>Deletion</h1><${ProblemView} error=${loaded.error} what="the deletion" />`
          : html`<${Record} d=${loaded.value.deletion} id=${id} />`
    }
  </main>`;
};
