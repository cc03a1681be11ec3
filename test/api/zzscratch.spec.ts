import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { useHttpServer } from '../support/httpServerFixture.js';

const s = useHttpServer();
it('probe', async () => {
  const r = await fetch(`${s.base}/openapi.json`);
  writeFileSync('/tmp/openapi-after.json', await r.text());
  const d = await fetch(`${s.base}/docs/json`);
  console.log('docs/json', d.status);
});
