import { ApiError, getJson, getText } from '../api.js';
import type { EvidenceKey } from '../apiShapes.js';
import { html } from '../html.js';
import { checkReceipt, type Verdict } from '../receiptVerifier.js';
import { href } from '../router.js';
import { Loading, ProblemView } from './problemView.js';
import { useLoad } from './useLoad.js';

/** The receipt as served (its exact text: what is downloaded) and the page's verdict on it. */
type Checked =
  | { readonly kind: 'receipt'; readonly text: string; readonly verdict: Verdict }
  | { readonly kind: 'notComplete'; readonly detail: string };

const load = async (id: string): Promise<Checked> => {
  const path = `/v1/deletions/${encodeURIComponent(id)}/receipt`;
  let text: string;
  try {
    text = await getText(path, 'application/json');
  } catch (err) {
    if (err instanceof ApiError && err.status === 409)
      return { kind: 'notComplete', detail: err.detail };
    throw err;
  }
  const { verifierKey } = await getJson<EvidenceKey>('/v1/evidence/key');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'receipt', text, verdict: { ok: false, reason: 'the receipt is not JSON' } };
  }
  return { kind: 'receipt', text, verdict: checkReceipt(verifierKey, json) };
};

const download = (text: string, root: string) => {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `receipt-${root}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

const ms = (at: number) =>
  new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

const Proves = ({ verdict }: { verdict: Extract<Verdict, { ok: true }> }) => {
  const s = verdict.summary;
  const steps = s.threads.reduce((n, t) => n + t.steps.length, 0);
  const waived = s.threads.reduce(
    (n, t) => n + t.steps.filter((x) => x.outcome === 'waived').length,
    0,
  );
  return html`<dl class="proves">
    <div><dt>Who asked</dt><dd>${s.requestedBy} <span class="mono">(request ${s.requestId})</span></dd></div>
    <div><dt>When</dt><dd>requested ${ms(s.requestedAt)}, completed ${ms(s.completedAt)}</dd></div>
    <div><dt>Why</dt><dd>${s.reason ?? html`<span class="none">no reason given</span>`}</dd></div>
    ${s.partOf && html`<div><dt>Part of</dt><dd>the deletion of <span class="mono">${s.partOf}</span></dd></div>`}
    <div><dt>Threads</dt><dd>${s.threads.length} deleted:
      <ul class="ids">${s.threads.map((t) => html`<li key=${t.threadId}><a class="mono" href=${href(`/threads/${encodeURIComponent(t.threadId)}`)}>${t.threadId}</a>: ${t.steps.length} steps${t.failures ? `, ${t.failures} failed attempts` : ''}</li>`)}</ul></dd></div>
    <div><dt>Steps</dt><dd>${steps} settled${waived ? ` (${waived} waived)` : ''}, every one its tombstones committed to</dd></div>
    <div><dt>Checkpoint</dt><dd>${s.checkpoint.origin}, tree size ${s.checkpoint.size}, signed by key ${s.keyName}; ${s.entries} entries proven in it</dd></div>
  </dl>`;
};

/**
 * The deletion's receipt, fetched and verified in the page with the rules of `verify-receipt`
 * and the ledger's verifier key; downloadable exactly as served.
 */
export const ReceiptPanel = ({ id, root }: { id: string; root: string }) => {
  const checked = useLoad(() => load(id), [id]);
  if (checked.state === 'loading') return html`<${Loading} what="the receipt" />`;
  if (checked.state === 'error')
    return html`<${ProblemView} error=${checked.error} what="the receipt" />`;
  const c = checked.value;
  if (c.kind === 'notComplete')
    return html`<p class="verdict pending" role="status"><strong>No receipt yet: the deletion is not complete.</strong>
      ${' '}The receipt is given once every thread of the subtree is deleted. <span class="detail">(${c.detail})</span></p>`;
  return html`<div class="receipt">
    ${
      c.verdict.ok
        ? html`<p class="verdict ok" role="status"><span aria-hidden="true">✓ </span><strong>Receipt verified</strong>
            : checked in this page against the ledger’s verifier key. It proves:</p>
            <${Proves} verdict=${c.verdict} />`
        : html`<p class="verdict bad" role="alert"><span aria-hidden="true">✕ </span><strong>Receipt NOT verified</strong>: ${c.verdict.reason}</p>`
    }
    <button type="button" onClick=${() => download(c.text, root)}>Download the receipt (receipt-${root}.json)</button>
  </div>`;
};
