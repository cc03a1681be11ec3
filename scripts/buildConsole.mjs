// Builds the reviewer console (console/) into dist/console: one ES module bundle (esbuild), the
// page, the stylesheets. Everything is served by `serve` itself: no CDN.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console');
const assets = join(out, 'assets');
mkdirSync(assets, { recursive: true });

await build({
  entryPoints: [join(root, 'console', 'src', 'main.ts')],
  outfile: join(assets, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'console', 'index.html'), join(out, 'index.html'));
for (const css of readdirSync(join(root, 'console', 'styles')))
  copyFileSync(join(root, 'console', 'styles', css), join(assets, css));
copyFileSync(
  join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'),
  join(assets, 'uPlot.min.css'),
);
