import { randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { A, useHttpServer, W } from '../support/httpServerFixture.js';
import { ctx, type Fixture } from '../support/ledgerFixture.js';
import { readLog } from '../support/log.js';
import { startedData } from '../support/threads.js';

/** Number literals as JSON text: what a client can send, whatever JSON.parse makes of it. */
const numberText = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e308',
    '-0',
    '0',
    '1.5',
    '-1',
    '9007199254740993',
    '8640000000000001',
    '1790000000000',
    '1e15',
    '"1790000000000"',
    'null',
    'true',
    '[]',
    '{}',
  ),
  fc.integer({ min: 0, max: 8_640_000_000_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);

/** String values as JSON text: empty, huge, NUL bytes, lone surrogates, any unicode. */
const stringText = fc
  .oneof(
    fc.constantFrom(
      '',
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udfffy',
      '\u202e',
      'x'.repeat(50_000),
      '日本語 🧵',
    ),
    fc.string({ unit: 'binary', maxLength: 30 }),
  )
  .map((s) => JSON.stringify(s));

/** A start request's body, as raw text, each field present or not. */
const bodyText = fc
  .record(
    {
      cwd: stringText,
      modelProvider: stringText,
      name: stringText,
      preview: stringText,
      originator: stringText,
      createdAt: numberText,
      sourceKind: fc.constantFrom('"cli"', '"appServer"', '"fax"', '3'),
    },
    { requiredKeys: ['cwd', 'modelProvider'] },
  )
  .map(
    (r) =>
      `{${Object.entries(r)
        .map(([k, v]) => `"${k}":${v}`)
        .join(',')}}`,
  );

describe('HTTP: hostile input is refused at the boundary, and never poisons the log (real listening server)', () => {
  const server = useHttpServer();
  let f: Fixture;
  let base: string;
  beforeEach(() => {
    ({ f, base } = server);
  });

  const post = async (path: string, text: string) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json' },
      body: text,
    });
    const raw = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: JSON.parse(raw) as any,
    };
  };
  const ready = async () => {
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) return true;
      await new Promise((res) => setTimeout(res, 10));
    }
    return false;
  };

  it('answers "createdAt": 1e400 with a 400 problem naming createdAt, appends nothing, and stays ready', async () => {
    const head = await f.ledger.store.headPosition();
    for (const literal of ['1e400', '-1e400', '1.5', '9007199254740993', '-1']) {
      const r = await post(
        '/v1/threads',
        `{"cwd":"/w","modelProvider":"openai","createdAt":${literal}}`,
      );
      expect(r.status, `${literal}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.type).toMatch(/application\/problem\+json/);
      expect(r.body.type).toBe('https://thread-ledger.dev/problems/validation');
      expect(r.body.errors).toEqual([{ field: 'createdAt', reason: expect.any(String) }]);
    }
    expect(
      (await post('/v1/threads', '{"cwd":"/w","modelProvider":"openai","createdAt":1e400}')).body
        .errors[0].reason,
    ).toMatch(/Infinity/);
    expect(await f.ledger.store.headPosition()).toBe(head);
    // A valid start right after goes through, and everything reads back.
    expect(
      (await post('/v1/threads', '{"cwd":"/w","modelProvider":"openai","createdAt":-0}')).status,
    ).toBe(201);
    expect(await ready()).toBe(true);
    await readLog(f.ledger);
  });

  it('takes createdAt as ISO 8601 or epoch milliseconds, answers it as ISO, and refuses createdAtMs as an unknown field', async () => {
    const at = '2026-11-20T10:00:00.123Z';
    const ms = Date.parse(at);
    for (const [given, expected] of [
      [`"${at}"`, at],
      [`"2026-11-20T11:00:00.123+01:00"`, at],
      [String(ms), at],
      ['"2026-11-20"', '2026-11-20T00:00:00.000Z'],
    ] as const) {
      const r = await post(
        '/v1/threads',
        `{"cwd":"/w","modelProvider":"openai","createdAt":${given}}`,
      );
      expect(r.status, `${given}: ${JSON.stringify(r.body)}`).toBe(201);
      const one = await fetch(
        `${base}/v1/threads/${r.body.threadId}?minPosition=${r.body.position}`,
        { headers: { authorization: `Bearer ${A}` } },
      );
      expect(((await one.json()) as any).thread.createdAt, given).toBe(expected);
    }
    const head = await f.ledger.store.headPosition();
    const old = await post(
      '/v1/threads',
      `{"cwd":"/w","modelProvider":"openai","createdAtMs":${ms}}`,
    );
    expect(old.status).toBe(400);
    expect(old.body.errors).toEqual([{ field: 'createdAtMs', reason: 'is not a known field' }]);
    const soon = await post(
      '/v1/threads',
      '{"cwd":"/w","modelProvider":"openai","createdAt":"soon"}',
    );
    expect(soon.status).toBe(400);
    expect(soon.body.errors).toEqual([
      { field: 'createdAt', reason: expect.stringMatching(/ISO 8601.*epoch milliseconds/) },
    ]);
    expect(await f.ledger.store.headPosition()).toBe(head);
  });

  it('property: every start is 201 or a 400 problem naming a field; a refused one appends nothing; the log always reads back', async () => {
    let created = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(bodyText, async (text) => {
        const head = await f.ledger.store.headPosition();
        const r = await post('/v1/threads', text);
        expect([201, 400], JSON.stringify(r.body).slice(0, 300)).toContain(r.status);
        if (r.status === 400) {
          refused++;
          expect(r.type).toMatch(/application\/problem\+json/);
          // A blank name is the domain's refusal (invalid-name); anything else, the field named.
          if (r.body.type !== 'https://thread-ledger.dev/problems/invalid-name') {
            expect(r.body.type).toBe('https://thread-ledger.dev/problems/validation');
            expect(r.body.errors.length).toBeGreaterThan(0);
          }
          expect(await f.ledger.store.headPosition()).toBe(head);
          return;
        }
        created++;
        const page = await f.ledger.store.readAll({ after: head, maxCount: 10 });
        expect(page.map((e) => e.type)).toEqual(['ThreadStarted']);
        await f.ledger.codec.decodeMany(page); // throws CorruptEventError if it would poison the log
      }),
      { numRuns: 120 },
    );
    expect(created).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    await readLog(f.ledger);
    expect(await ready()).toBe(true);
  }, 30_000);
});

describe('HTTP: a writer can name only the thread’s own file as its rollout (real listening server)', () => {
  const server = useHttpServer();
  let f: Fixture;
  let base: string;
  beforeEach(() => {
    ({ f, base } = server);
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${W}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as any,
    };
  };
  const start = (threadId: string, rolloutPath: string, under?: string) =>
    post(under ? `/v1/threads/${under}/subagents` : '/v1/threads', {
      threadId,
      cwd: '/w',
      modelProvider: 'openai',
      rolloutPath,
    });

  it('refuses each hostile rolloutPath with a 400 naming rolloutPath, and appends nothing; the thread’s own file is accepted', async () => {
    const root = f.rolloutRoot;
    const outside = join(f.dir, 'outside');
    mkdirSync(outside);
    const owner = randomUUID();
    expect(
      (await start(owner, join(root, `rollout-2026-11-20T10-00-00-${owner}.jsonl`))).status,
    ).toBe(201);
    const parent = randomUUID();
    expect((await start(parent, join(root, `rollout-${parent}.jsonl`))).status).toBe(201);
    // A thread whose recorded rollout carries another id (imported, or recorded before this check).
    const squatter = randomUUID();
    const claimed = randomUUID();
    const squatted = join(root, `rollout-${claimed}.jsonl`);
    const legacy = await f.ledger.commands.handle(
      {
        type: 'StartThread',
        thread: startedData({ threadId: squatter as never, rolloutPath: squatted }),
      },
      ctx,
    );
    expect(legacy._tag).toBe('Right');
    symlinkSync(outside, join(root, 'linked-dir'));
    mkdirSync(join(root, 'sub'));
    const cases: [string, (id: string) => string, RegExp, string?][] = [
      [
        'another thread’s rollout',
        () => join(root, `rollout-2026-11-20T10-00-00-${owner}.jsonl`),
        /own rollout/,
      ],
      [
        'a path another live thread records (named after this one)',
        () => squatted,
        /already the rollout of another thread/,
        claimed,
      ],
      ['any file under the roots', () => join(root, 'notes.jsonl'), /own rollout/],
      ['a root itself', () => root, /inside the configured rollout roots/],
      ['a relative path', (id) => `sessions/rollout-${id}.jsonl`, /absolute/],
      ['a NUL byte', (id) => join(root, `rollout-${id}.jsonl\0x`), /NUL/],
      [
        'outside the roots',
        (id) => join(outside, `rollout-${id}.jsonl`),
        /inside the configured rollout roots/,
      ],
      ['climbing out with ..', (id) => `${root}/../outside/rollout-${id}.jsonl`, /normalized/],
      [
        'a folder symlinked out of the roots',
        (id) => join(root, 'linked-dir', `rollout-${id}.jsonl`),
        /symbolic link/,
      ],
      [
        'a symlink as the file',
        (id) => {
          const p = join(root, `rollout-${id}.jsonl`);
          symlinkSync(join(outside, 'victim'), p);
          return p;
        },
        /symbolic link/,
      ],
      [
        'a folder as the file',
        (id) => {
          const p = join(root, 'sub', `rollout-${id}.jsonl`);
          mkdirSync(p);
          return p;
        },
        /not a regular file/,
      ],
    ];
    const head = await f.ledger.store.headPosition();
    for (const [what, pathOf, reason, fixed] of cases) {
      for (const under of [undefined, parent]) {
        const id = fixed ?? randomUUID();
        const r = await start(id, pathOf(id), under);
        expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.type).toMatch(/application\/problem\+json/);
        expect(r.body.type).toBe('https://thread-ledger.dev/problems/validation');
        expect(r.body.errors).toEqual([
          { field: 'rolloutPath', reason: expect.stringMatching(reason) },
        ]);
      }
    }
    expect(await f.ledger.store.headPosition()).toBe(head); // not even a spawn edge
    // The thread's own file, under a day folder that does not exist yet, is accepted: root and subagent.
    const mine = randomUUID();
    expect(
      (
        await start(
          mine,
          join(root, '2026', '11', '21', `rollout-2026-11-21T09-00-00-${mine}.jsonl`),
        )
      ).status,
    ).toBe(201);
    const child = randomUUID();
    expect((await start(child, join(root, `rollout-${child}.jsonl`), parent)).status).toBe(201);
    await readLog(f.ledger);
  });
});
