import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { OverTimePoint } from '../apiShapes.js';
import { formatTime } from '../durations.js';
import { html } from '../html.js';

const HEIGHT = 240;

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Tick spacings, in seconds: whole buckets only (no "12pm" between days). */
const INCRS: Record<string, number[]> = {
  hour: [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY],
  day: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 182 * DAY, 365 * DAY],
};
/** A tick's label, in UTC as every time of the console: "09-21" or "09-21 14:00". */
const tickOf = (bucket: string) => (s: number) => {
  const iso = new Date(s * 1000).toISOString();
  return bucket === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
};

/** The chart's options: two series told apart by line style and legend, not by colour alone. */
const optionsFor = (width: number, bucket: string): uPlot.Options => ({
  width,
  height: HEIGHT,
  // Room for the last tick's label; the key is drawn by the page (it prints, uPlot's legend not).
  padding: [12, 48, 0, 0],
  legend: { show: false },
  cursor: { drag: { x: false, y: false } },
  scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
  axes: [
    {
      incrs: INCRS[bucket] ?? INCRS['day'],
      values: (_u, ticks) => ticks.map(tickOf(bucket)),
      space: 70,
    },
    { label: 'deletions', size: 60, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] },
  ],
  series: [
    {
      label: `${bucket === 'hour' ? 'Hour' : 'Day'} (UTC)`,
      value: (_u, v) => (v == null ? '—' : tickOf(bucket)(v)),
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
    const plot = new uPlot(optionsFor(el.clientWidth || 600, bucket), data, el);
    const resize = () => plot.setSize({ width: el.clientWidth, height: HEIGHT });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [points, bucket]);
  const summary = overTimeSummary(points, bucket);
  return html`<figure class="chart">
    ${
      points.length > 0 &&
      html`<p class="chart-key" aria-hidden="true">
          <span class="key key-requested"></span> Requested (solid line)
          <span class="key key-completed"></span> Completed (dashed line)
        </p>
        <div ref=${box} class="chart-canvas" aria-hidden="true"></div>`
    }
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
