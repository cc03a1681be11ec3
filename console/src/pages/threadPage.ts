import { html } from '../html.js';

/** TODO(issue 14): the thread page. */
export const ThreadPage = (_: { id: string }) => html`<main><h1>ThreadPage</h1></main>`;
