import { html } from '../html.js';

/** TODO(issue 14): the overview page. */
export const OverviewPage = () => html`<main><h1>OverviewPage</h1></main>`;
