import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldAtAGlance, parseLine, removeLines } from '../../src/io/jsonLinesFile.js';

const ids = ['a1', 'b2', 'c3'];

/** What the rewrite keeps, by the rule itself: a line goes when its top-level field, parsed, is one of the ids. */
const keptByParsing = (lines: readonly string[], field: string, gone: ReadonlySet<string>) =>
  lines.filter((l) => {
    const v = l.trim() ? parseLine(l)?.[field] : undefined;
    return !(typeof v === 'string' && gone.has(v));
  });

/**
 * Lines as odd as a writer may make them: the field nested, repeated, escaped, not a string,
 * spaced around its colon, inside another string, on a line that is not JSON.
 */
const oddLine = fc.oneof(
  fc
    .record({
      session_id: fc.oneof(fc.constantFrom(...ids, 'zz'), fc.integer(), fc.constant(null)),
      text: fc.string(),
    })
    .map((o) => JSON.stringify(o)),
  fc.constantFrom(...ids).map((id) => `{"meta":{"session_id":"${id}"}}`),
  fc.constantFrom(...ids).map((id) => `{"session_id" :\t"${id}", "ts": 1}`),
  fc.constantFrom(...ids).map((id) => `{"session_id":"zz","session_id":"${id}"}`),
  fc.constantFrom(...ids).map((id) => `{"session_id":"${id}","session_id":"zz"}`),
  fc.constantFrom(...ids).map((id) => `{"session_\\u0069d":"${id}"}`),
  fc.constantFrom(...ids).map((id) => `{"session_id":"\\u0061${id.slice(1)}"}`),
  fc.constantFrom(...ids).map((id) => `{"text":"session_id","x":"${id}"}`),
  fc.constantFrom(...ids).map((id) => `{"session_id":"${id}"`),
  fc.constantFrom(...ids).map((id) => `["session_id","${id}"]`),
  fc.string(),
);

describe('rewriting a JSON-lines file without some threads', () => {
  it('removes exactly the lines whose top-level field, parsed, names one of them, however the line is written', () => {
    fc.assert(
      fc.property(fc.array(oddLine, { maxLength: 30 }), fc.subarray(ids), (lines, gone) => {
        const dir = mkdtempSync(join(tmpdir(), 'jsonl-'));
        const path = join(dir, 'history.jsonl');
        const text = `${lines.join('\n')}\n`;
        writeFileSync(path, text);
        const removed = removeLines(path, 'session_id', new Set(gone));
        const kept = keptByParsing(text.split('\n'), 'session_id', new Set(gone));
        expect(readFileSync(path, 'utf8')).toBe(
          kept.length === text.split('\n').length ? text : kept.join('\n'),
        );
        const total = [...removed.values()].reduce((a, b) => a + b, 0);
        expect(total).toBe(text.split('\n').length - kept.length);
      }),
      { numRuns: 300 },
    );
  });

  it('tells most lines at a glance: another thread, no such field, or a value that is not a string', () => {
    expect(fieldAtAGlance('{"session_id":"zz","ts":1,"text":"hi"}', 'session_id')).toBe('zz');
    expect(fieldAtAGlance('{"ts":1,"text":"hi"}', 'session_id')).toBe('absent');
    expect(fieldAtAGlance('{"session_id": 7}', 'session_id')).toBe('absent');
    // Parsed instead: an escape anywhere, the name twice, the name as a value.
    expect(fieldAtAGlance('{"session_id":"zz","text":"\\"hi\\""}', 'session_id')).toBeNull();
    expect(fieldAtAGlance('{"session_id":"zz","session_id":"a1"}', 'session_id')).toBeNull();
    expect(fieldAtAGlance('{"text":"session_id"}', 'session_id')).toBeNull();
  });
});
