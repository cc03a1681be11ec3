import type { TimeToComplete } from '../apiShapes.js';
import { formatDuration } from '../durations.js';
import { html } from '../html.js';

/**
 * The distribution of time to complete as a table whose rows carry their bar: the table is the
 * chart and its own text alternative. The percentiles above it, in words.
 */
export const TimeToCompleteChart = ({ t }: { t: TimeToComplete }) => {
  if (t.count === 0) return html`<p>No deletion has completed yet.</p>`;
  const most = Math.max(1, ...t.buckets.map((b) => b.count));
  return html`<div class="distribution">
    <dl class="percentiles">
      <div><dt>Median (p50)</dt><dd>${formatDuration(t.p50Ms)}</dd></div>
      <div><dt>p90</dt><dd>${formatDuration(t.p90Ms)}</dd></div>
      <div><dt>p99</dt><dd>${formatDuration(t.p99Ms)}</dd></div>
      <div><dt>Longest</dt><dd>${formatDuration(t.maxMs)}</dd></div>
    </dl>
    <table class="bars">
      <caption>${t.count} completed ${t.count === 1 ? 'deletion' : 'deletions'} by how long ${t.count === 1 ? 'it' : 'they'} took</caption>
      <thead><tr><th scope="col">Completed within</th><th scope="col">Deletions</th></tr></thead>
      <tbody>
        ${t.buckets.map(
          (b) => html`<tr>
            <th scope="row">${b.upToMs === null ? 'longer' : formatDuration(b.upToMs)}</th>
            <td>
              <span class="bar" style=${`width: ${(100 * b.count) / most}%`} aria-hidden="true"></span>
              <span class="bar-n">${b.count}</span>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
};
