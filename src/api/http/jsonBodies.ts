import type { FastifyInstance } from 'fastify';
import { jsonNestingDepth, MAX_REQUEST_DEPTH } from '../../io/boundedJson.js';
import { problem } from './problem.js';

/**
 * Bodies are JSON: anything else (fastify would also take text/plain) is 415. A JSON body is
 * measured before it is parsed: nested deeper than MAX_REQUEST_DEPTH, it is refused (400
 * `body-too-deep`) before anything recursive (a digest, a codec) can touch it.
 */
export const acceptJsonBodies = (app: FastifyInstance): void => {
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonNestingDepth(body as string, MAX_REQUEST_DEPTH) > MAX_REQUEST_DEPTH) {
      const detail = `JSON nested deeper than ${MAX_REQUEST_DEPTH} levels is refused`;
      done(problem('body-too-deep', 400, 'Body nested too deeply', detail), undefined);
      return;
    }
    parseJson(req, body as string, done);
  });
};
