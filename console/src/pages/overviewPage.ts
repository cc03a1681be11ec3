import { useEffect, useRef, useState } from 'preact/hooks';
import { toBase64, toHex } from '../../../src/evidence/bytes.js';
import { parseCheckpoint } from '../../../src/evidence/checkpoint.js';
import { parseNote } from '../../../src/evidence/signedNote.js';
import { getJson, getText } from '../api.js';
import type { DeletionStats, Verification } from '../apiShapes.js';
import { DeletionsOverTime } from '../charts/deletionsOverTime.js';
import { TimeToCompleteChart } from '../charts/timeToComplete.js';
import { TableScroll } from '../components/tableScroll.js';
import { formatTime } from '../durations.js';
import { html } from '../html.js';
import { followEvents } from '../liveEvents.js';
import { href } from '../router.js';
import type { SseFrame } from '../sseFrames.js';

/** The events after which the numbers of the overview change. */
const DELETION_EVENTS = new Set([
  'ThreadDeleteRequested',
  'ThreadDeleted',
  'DeletionStepFailed',
  'DeletionStepWaived',
]);
/** A burst of events (a subtree's cascade) refetches once, this long after its last event. */
const DEBOUNCE_MS = 300;

/** The buckets of the chart over time. */
const BUCKET = 'day';
const STATS = `/v1/deletions/stats?bucket=${BUCKET}`;

/** What one section loaded: nothing yet, its value, or why it could not. */
type Loaded<T> = { readonly value: T } | { readonly error: string } | null;

const load = <T>(get: () => Promise<T>, set: (l: Loaded<T>) => void) =>
  get().then(
    (value) => set({ value }),
    (err: unknown) => set({ error: err instanceof Error ? err.message : String(err) }),
  );

/** A section's body: loading, its failure said plainly, or `show` of its value. */
const shown = <T>(l: Loaded<T>, show: (v: T) => unknown) =>
  l === null
    ? html`<p class="loading" role="status">Loading…</p>`
    : 'error' in l
      ? html`<p class="error" role="alert">Could not load this: ${l.error}</p>`
      : show(l.value);

const Counts = ({ counts }: { counts: DeletionStats['counts'] }) =>
  html`<ul class="counts" aria-label="Deletions by status">
    <li class="count status-pending"><span aria-hidden="true">… </span><strong>${counts.pending}</strong> pending</li>
    <li class="count status-failing"><span aria-hidden="true">✗ </span><strong>${counts.failing}</strong> failing</li>
    <li class="count status-deleted"><span aria-hidden="true">✓ </span><strong>${counts.deleted}</strong> deleted</li>
  </ul>`;

const FailingSteps = ({ steps }: { steps: DeletionStats['failingSteps'] }) =>
  steps.length === 0
    ? html`<p><span aria-hidden="true">✓ </span>No deletion step is failing.</p>`
    : html`<${TableScroll} label="Failing steps"><table class="failing-steps">
        <caption>${steps.length} failing ${steps.length === 1 ? 'step' : 'steps'}, retried automatically</caption>
        <thead><tr>
          <th scope="col">Deletion</th><th scope="col">Thread</th><th scope="col">Step</th>
          <th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Next retry</th>
        </tr></thead>
        <tbody>
          ${steps.map(
            (s) => html`<tr>
              <td><a href=${href(`/deletions/${encodeURIComponent(s.rootThreadId)}`)}><code>${s.rootThreadId}</code></a></td>
              <td><code>${s.threadId}</code></td>
              <td class="wrap"><code>${s.step}</code></td>
              <td>${s.attempts}</td>
              <td class="wrap">${s.lastError ?? '—'}</td>
              <td>${formatTime(s.nextRetryAt)}</td>
            </tr>`,
          )}
        </tbody>
      </table></${TableScroll}>`;

/** The latest signed checkpoint, read as the note it is: origin, size, root hash, its signers. */
const Checkpoint = ({ note }: { note: string }) => {
  const parsed = parseNote(note);
  const body = typeof parsed === 'string' ? parsed : parseCheckpoint(parsed.text);
  if (typeof parsed === 'string' || typeof body === 'string')
    return html`<p class="error" role="alert">The checkpoint does not read as one: ${typeof body === 'string' ? body : parsed}</p>`;
  return html`<dl class="fields">
      <div><dt>Origin</dt><dd><code>${body.origin}</code></dd></div>
      <div><dt>Tree size</dt><dd>${body.size.toLocaleString('en')} events</dd></div>
      <div><dt>Root hash</dt><dd class="wrap"><code>${toBase64(body.root)}</code></dd></div>
      <div><dt>Signed by</dt><dd>${parsed.signatures.map((s) => html`<code>${s.name}</code> (key id ${toHex(s.keyId)}) `)}</dd></div>
    </dl>
    <details><summary>The signed note, as served</summary><pre class="note">${note}</pre></details>`;
};

const LastVerification = ({ v }: { v: Verification }) => {
  if (v.verifiedAt === null) return html`<p>The log has not been verified yet.</p>`;
  const by = v.by === 'cli' ? 'the verify command' : v.by === 'serve' ? 'the server' : 'unknown';
  return html`<p class=${v.ok ? 'ok' : 'bad'}>
      ${
        v.ok
          ? html`<span aria-hidden="true">✓ </span><strong>Verified</strong>: every event and checkpoint checked.`
          : html`<span aria-hidden="true">✗ </span><strong>Failed</strong>: ${v.reason ?? 'no reason given'}`
      }
    </p>
    <dl class="fields">
      <div><dt>When</dt><dd>${formatTime(v.verifiedAt)}</dd></div>
      <div><dt>By</dt><dd>${by}</dd></div>
      <div><dt>Events</dt><dd>${v.events.toLocaleString('en')}</dd></div>
      <div><dt>Checkpoints</dt><dd>${v.checkpoints.toLocaleString('en')}</dd></div>
      <div><dt>Tree size covered</dt><dd>${v.coveredSize.toLocaleString('en')}</dd></div>
    </dl>`;
};

/**
 * The overview: deletions over time, by status, how long they take, what is failing, and the
 * state of the evidence. It follows the event stream and refetches when a deletion moves.
 */
export const OverviewPage = () => {
  const [stats, setStats] = useState<Loaded<DeletionStats>>(null);
  const [note, setNote] = useState<Loaded<string>>(null);
  const [verification, setVerification] = useState<Loaded<Verification>>(null);
  const [live, setLive] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const refresh = (statsNow = getJson<DeletionStats>(STATS)) =>
      Promise.all([
        load(() => statsNow, setStats),
        load(() => getText('/v1/evidence/checkpoint'), setNote),
        load(() => getJson<Verification>('/v1/evidence/verification'), setVerification),
      ]).then(() => setUpdatedAt(new Date().toISOString()));
    const first = getJson<DeletionStats>(STATS);
    void refresh(first);
    const stop = new AbortController();
    const onFrame = (frame: SseFrame) => {
      if (!DELETION_EVENTS.has(frame.event)) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => refresh(), DEBOUNCE_MS);
    };
    // The stream from the position the figures reflect: what changes them, not the whole log
    // again. Without it (the figures failed to load), from the start.
    void first
      .then(
        (s) => s.position,
        () => null,
      )
      .then((after) => stop.signal.aborted || followEvents(onFrame, stop.signal, setLive, after));
    return () => {
      stop.abort();
      clearTimeout(timer.current);
    };
  }, []);

  return html`<main class="overview">
    <h1>Overview</h1>
    <p class="print-only">Deletions and evidence of ${location.host}, as of ${formatTime(updatedAt)}.</p>
    <p class="live" role="status">
      ${live ? html`<span aria-hidden="true">● </span>Live: follows the event stream.` : html`<span aria-hidden="true">○ </span>Not live: connecting to the event stream…`}
      ${updatedAt && ` Updated ${formatTime(updatedAt)}.`}
    </p>
    <section aria-labelledby="by-status">
      <h2 id="by-status">Deletions by status</h2>
      ${shown(stats, (s) => html`<${Counts} counts=${s.counts} />`)}
    </section>
    <section aria-labelledby="over-time">
      <h2 id="over-time">Deletions over time</h2>
      ${shown(stats, (s) => html`<${DeletionsOverTime} points=${s.overTime} bucket=${BUCKET} />`)}
    </section>
    <section aria-labelledby="time-to-complete">
      <h2 id="time-to-complete">Time to complete</h2>
      ${shown(stats, (s) => html`<${TimeToCompleteChart} t=${s.timeToComplete} />`)}
    </section>
    <section aria-labelledby="failing-steps">
      <h2 id="failing-steps">Failing steps</h2>
      ${shown(stats, (s) => html`<${FailingSteps} steps=${s.failingSteps} />`)}
    </section>
    <section aria-labelledby="checkpoint">
      <h2 id="checkpoint">Latest signed checkpoint</h2>
      ${shown(note, (n) => html`<${Checkpoint} note=${n} />`)}
    </section>
    <section aria-labelledby="verification">
      <h2 id="verification">Last verification of the log</h2>
      ${shown(verification, (v) => html`<${LastVerification} v=${v} />`)}
    </section>
  </main>`;
};
