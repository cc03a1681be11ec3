import type { ComponentChildren } from 'preact';
import { html } from '../html.js';

/** A content field as the log holds it: `{"sealed": "v1...."}`, ciphertext under the thread's key. */
export const isSealed = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  typeof (v as { sealed?: unknown }).sealed === 'string';

/**
 * An event's data as recorded, for reading: each field and its value, a sealed value said as
 * "sealed" (or "shredded" once the thread's key is destroyed), never its ciphertext.
 */
export const RecordedData = ({ data, shredded }: { data: unknown; shredded: boolean }) => {
  const word = shredded ? 'shredded' : 'sealed';
  const value = (v: unknown): ComponentChildren => {
    if (isSealed(v))
      return html`<span class=${`sealed ${word}`} title=${shredded ? 'its key is destroyed: it can never be read again' : 'encrypted under the thread’s key'}>${word}</span>`;
    if (v === null) return html`<span class="none">null</span>`;
    if (Array.isArray(v))
      return v.length === 0
        ? html`<span class="none">none</span>`
        : html`<ul class="values">${v.map((x, i) => html`<li key=${i}>${value(x)}</li>`)}</ul>`;
    if (typeof v === 'object') return fields(v as Record<string, unknown>);
    return html`<span class="mono">${String(v)}</span>`;
  };
  const fields = (o: Record<string, unknown>): ComponentChildren => {
    const keys = Object.keys(o).filter((k) => k !== 'threadId');
    if (keys.length === 0) return html`<span class="none">—</span>`;
    return html`<dl class="data">
      ${keys.map((k) => html`<div key=${k}><dt>${k}</dt><dd>${value(o[k])}</dd></div>`)}
    </dl>`;
  };
  return value(data);
};
