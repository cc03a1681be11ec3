import type { ComponentChildren } from 'preact';
import { html } from '../html.js';

/**
 * A table that may be wider than the page (long ids, many columns) scrolls sideways in its own
 * box, never the page. Focusable, so that a keyboard can scroll it; named by what it holds.
 */
export const TableScroll = ({ label, children }: { label: string; children: ComponentChildren }) =>
  html`<div class="table-scroll" role="group" aria-label=${label} tabindex="0">${children}</div>`;
