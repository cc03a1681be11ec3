import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { formatTime } from '../durations.js';
import { html } from '../html.js';

/** One bucket of the chart: deletions requested and completed in it (GET /v1/deletions/stats). */
export type OverTimePoint = {
  readonly at: string;
  readonly requested: number;
  readonly completed: number;
};

const HEIGHT = 240;

/** The chart's options: two series told apart by line style and legend, not by colour alone. */
const optionsFor = (width: number): uPlot.Options => ({
  width,
  height: HEIGHT,
  cursor: { drag: { x: false, y: false } },
  scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
  axes: [{}, { label: 'deletions', size: 60, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }],
  series: [
    {
      label: 'Bucket starting (UTC)',
      value: (_u, v) => (v == null ? '—' : formatTime(new Date(v * 1000).toISOString())),
    },
    { label: 'Requested', stroke: '#0b4f9c', width: 2, points: { size: 7 } },
    { label: 'Completed', stroke: '#0a6b2d', width: 2, dash: [6, 4], points: { size: 7 } },
  ],
});

const sum = (ps: readonly OverTimePoint[], k: 'requested' | 'completed') =>
  ps.reduce((n, p) => n + p[k], 0);

/** The chart in one sentence, its text alternative with the table below it. */
export const overTimeSummary = (points: readonly OverTimePoint[], bucket: string): string =>
  points.length === 0
    ? 'No deletion was requested or completed in this period.'
    : `${sum(points, 'requested')} deletions requested and ${sum(points, 'completed')} completed ` +
      `from ${formatTime(points[0]!.at)} to ${formatTime(points[points.length - 1]!.at)}, ` +
      `in ${points.length} ${bucket === 'hour' ? 'hourly' : 'daily'} buckets.`;

/**
 * Deletions over time: a uPlot line chart of requested and completed per bucket, with a sentence
 * and a table saying the same for those who cannot see the chart (or print it).
 */
export const DeletionsOverTime = ({
  points,
  bucket,
}: {
  points: readonly OverTimePoint[];
  bucket: string;
}) => {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const data: uPlot.AlignedData = [
      points.map((p) => Date.parse(p.at) / 1000),
      points.map((p) => p.requested),
      points.map((p) => p.completed),
    ];
    const plot = new uPlot(optionsFor(el.clientWidth || 600), data, el);
    const resize = () => plot.setSize({ width: el.clientWidth, height: HEIGHT });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [points]);
  const summary = overTimeSummary(points, bucket);
  return html`<figure class="chart">
    ${points.length > 0 && html`<div ref=${box} class="chart-canvas" aria-hidden="true"></div>`}
    <figcaption>${summary}</figcaption>
    ${
      points.length > 0 &&
      html`<details class="chart-table">
        <summary>The numbers, as a table</summary>
        <table>
          <caption class="visually-hidden">Deletions requested and completed per ${bucket}</caption>
          <thead><tr><th scope="col">${bucket === 'hour' ? 'Hour' : 'Day'} starting</th><th scope="col">Requested</th><th scope="col">Completed</th></tr></thead>
          <tbody>
            ${points.map(
              (p) =>
                html`<tr><th scope="row">${formatTime(p.at)}</th><td>${p.requested}</td><td>${p.completed}</td></tr>`,
            )}
          </tbody>
        </table>
      </details>`
    }
  </figure>`;
};
