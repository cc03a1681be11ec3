import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';
import { startRouter } from './router.js';

const root = document.getElementById('app')!;
startRouter((route) => render(html`<${App} route=${route} />`, root));
