import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { problem } from '../problem.js';

/** The built console (npm run build): four folders up from this module, in src/ as in dist/. */
export const CONSOLE_DIR = resolve(import.meta.dirname, '../../../../dist/console');

/**
 * The reviewer console: static files, served by `serve` itself (no CDN). Every /console/ path
 * answers the page, so any deep link loads directly; what the page shows it asks of the API,
 * with the token of the tab (the files themselves hold nothing to protect).
 */
export const reviewerConsole: FastifyPluginAsync<{ readonly dir?: string }> = async (app, opts) => {
  const dir = opts.dir ?? CONSOLE_DIR;
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/console/assets/',
    decorateReply: false,
    index: false,
    // A rebuilt console must be seen at the next load: revalidated, not cached for a day.
    cacheControl: true,
    maxAge: 0,
  });
  const page = async (_req: unknown, reply: FastifyReply) => {
    const file = join(dir, 'index.html');
    if (!existsSync(file))
      throw problem(
        'console-not-built',
        503,
        'Console Not Built',
        'run `npm run build` to build the reviewer console',
      );
    reply
      .header(
        'content-security-policy',
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      )
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8');
    return readFile(file, 'utf8');
  };
  app.get('/console', { schema: { hide: true } }, async (_req, reply) =>
    reply.redirect('/console/', 301),
  );
  app.get('/console/', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, page);
};
