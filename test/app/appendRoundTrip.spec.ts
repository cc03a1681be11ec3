import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/commands.js';
import type { ThreadStarted as Started } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { ctx, type Fixture, ledgerFixture } from '../support/ledgerFixture.js';
import { readLog } from '../support/log.js';
import { newId, startedData } from '../support/threads.js';

/** Numbers a client or a Codex home can hand over, the ones JSON cannot hold among them (1e400 parses to Infinity). */
const hostileNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -Infinity,
    JSON.parse('1e400') as number,
    -0,
    0,
    1.5,
    -1,
    2 ** 53 + 1,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    8.64e15 + 1,
  ),
  fc.double(),
  fc.integer(),
  fc.maxSafeInteger(),
);

/** Strings: empty, huge, any unicode, NUL bytes, lone surrogates. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\u202e\u200b',
    'x'.repeat(100_000),
    '日本語 🧵',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 10 }),
);

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

/** A thread's start, any of its fields hostile. */
const startArb = fc.record({
  createdAtMs: fc.oneof(hostileNumber, fc.constant(1_790_000_000_000)),
  depth: fc.oneof(hostileNumber, fc.constantFrom(0, 1, 7)),
  spawnDepth: fc.oneof(hostileNumber, fc.constantFrom(1, 2)),
  withCodex: fc.boolean(),
  cwd: hostileString,
  modelProvider: hostileString,
  originator: maybe(hostileString),
  name: maybe(hostileString),
  preview: maybe(hostileString),
  gitSha: maybe(hostileString),
});

type StartInput = typeof startArb extends fc.Arbitrary<infer R> ? R : never;

type Case =
  | { kind: 'start'; s: StartInput }
  | { kind: 'rename'; name: string }
  | { kind: 'update'; updatedAtMs: number };

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  startArb.map((s) => ({ kind: 'start' as const, s })),
  hostileString.map((name) => ({ kind: 'rename' as const, name })),
  hostileNumber.map((updatedAtMs) => ({ kind: 'update' as const, updatedAtMs })),
);

const startedOf = (s: StartInput, threadId: ThreadId): Started =>
  startedData({
    threadId,
    createdAtMs: s.createdAtMs,
    depth: s.depth as Started['depth'],
    cwd: s.cwd,
    modelProvider: s.modelProvider,
    originator: s.originator,
    name: s.name,
    preview: s.preview,
    gitInfo: s.gitSha === null ? null : { sha: s.gitSha, branch: null, originUrl: null },
    codex: s.withCodex
      ? {
          source: {
            subAgent: {
              thread_spawn: {
                parent_thread_id: newId(),
                depth: s.spawnDepth,
                agent_nickname: s.name,
              },
            },
          },
          forkedFromId: null,
          agentNickname: null,
          agentRole: null,
          threadSource: null,
        }
      : null,
  });

/** The value as the log holds it: JSON. Content fields are compared separately (sealed, then opened). */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('nothing is appended that does not read back (property, over hostile command inputs)', () => {
  let f: Fixture;
  let live: ThreadId;
  beforeAll(async () => {
    f = await ledgerFixture();
    live = newId();
    const r = await f.ledger.commands.handle(
      { type: 'StartThread', thread: startedData({ threadId: live }) },
      ctx,
    );
    expect(E.isRight(r)).toBe(true);
  });
  afterAll(async () => {
    await f.close();
  });

  it('every accepted command reads back as decided; every refused one appends nothing; the log and the read models stay readable', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const head = await f.ledger.store.headPosition();
        const command: Command =
          c.kind === 'start'
            ? { type: 'StartThread', thread: startedOf(c.s, newId()) }
            : c.kind === 'rename'
              ? { type: 'RenameThread', threadId: live, name: c.name, indexedIn: null }
              : { type: 'UpdateThread', threadId: live, updatedAtMs: c.updatedAtMs };
        const r = await f.ledger.commands.handle(command, ctx);
        const after = await f.ledger.store.headPosition();
        if (E.isLeft(r)) {
          refused++;
          expect(after, `refused ${r.left.kind} but appended`).toBe(head);
          if (r.left.kind === 'UnrecordableEvent') expect(r.left.errors.length).toBeGreaterThan(0);
          return;
        }
        accepted++;
        const page = await f.ledger.store.readAll({ after: head, maxCount: 100 });
        expect(page.length).toBe(r.right.events.length);
        // Decoded by the read path, content opened: what was decided, as JSON carries it.
        const back = await f.ledger.codec.decodeMany(page);
        back.forEach((b, i) => {
          const decided = r.right.events[i]!;
          expect(b.event.type).toBe(decided.type);
          const { name: n1, preview: p1, ...rest1 } = decided.data as Record<string, unknown>;
          const { name: n2, preview: p2, ...rest2 } = b.event.data as Record<string, unknown>;
          expect(asJson(rest2)).toEqual(asJson(rest1));
          // Sealed text is UTF-8: a lone surrogate reads back as U+FFFD, never as an error.
          for (const [x, y] of [
            [n1, n2],
            [p1, p2],
          ] as const) {
            expect(typeof y).toBe(typeof x);
            if (typeof x === 'string') expect(y).toBe(Buffer.from(x, 'utf8').toString('utf8'));
          }
        });
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The whole log decodes, and the read models fold all of it.
    await readLog(f.ledger);
    await f.ledger.runner.catchUp();
    expect(f.ledger.runner.position()).toBe(await f.ledger.store.headPosition());
  }, 30_000);

  it('refuses, naming the field, the values that used to poison the log', async () => {
    const cases: [Partial<Started>, string][] = [
      [{ createdAtMs: JSON.parse('1e400') as number }, 'createdAtMs'],
      [{ createdAtMs: Number.NaN }, 'createdAtMs'],
      [{ depth: 1.5 as Started['depth'] }, 'depth'],
      [{ depth: Infinity as Started['depth'] }, 'depth'],
      [
        {
          codex: {
            source: { subAgent: { thread_spawn: { parent_thread_id: newId(), depth: Infinity } } },
            forkedFromId: null,
            agentNickname: null,
            agentRole: null,
            threadSource: null,
          },
        },
        'codex.source.subAgent.thread_spawn.depth',
      ],
    ];
    for (const [over, field] of cases) {
      const head = await f.ledger.store.headPosition();
      const r = await f.ledger.commands.handle(
        { type: 'StartThread', thread: startedData(over) },
        ctx,
      );
      expect(r).toMatchObject(
        E.left({
          kind: 'UnrecordableEvent',
          eventType: 'ThreadStarted',
          errors: [expect.objectContaining({ field })],
        }),
      );
      expect(await f.ledger.store.headPosition()).toBe(head);
    }
    // Given: a value that reads as valid as given, but whose JSON text is another (its toJSON).
    // Then: refused on what the store would hold, never stored as that.
    const head = await f.ledger.store.headPosition();
    const gitInfo = { sha: 'abc', branch: null, originUrl: null, toJSON: () => 'not git info' };
    const disguised = await f.ledger.commands.handle(
      { type: 'StartThread', thread: startedData({ gitInfo }) },
      ctx,
    );
    expect(disguised).toMatchObject(
      E.left({
        kind: 'UnrecordableEvent',
        errors: [expect.objectContaining({ field: 'gitInfo' })],
      }),
    );
    expect(await f.ledger.store.headPosition()).toBe(head);
    const update = await f.ledger.commands.handle(
      { type: 'UpdateThread', threadId: live, updatedAtMs: -Infinity },
      ctx,
    );
    expect(update).toMatchObject(
      E.left({
        kind: 'UnrecordableEvent',
        errors: [
          expect.objectContaining({
            field: 'updatedAtMs',
            reason: expect.stringMatching(/-Infinity/),
          }),
        ],
      }),
    );
    await readLog(f.ledger);
  });
});
