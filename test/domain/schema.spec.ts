import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEventData, describeSchemaError } from '../../src/domain/schema.js';
import { newId } from '../support/threads.js';

describe('event schema on read', () => {
  const threadId = newId();
  it('decodes a current event', () => {
    expect(decodeEventData('ThreadRenamed', 1, { threadId, name: 'x' })).toEqual(
      E.right({ type: 'ThreadRenamed', data: { threadId, name: 'x' } }),
    );
  });
  it('fails loudly on an unknown type, a newer version, or a wrong shape', () => {
    const errs = [
      decodeEventData('ThreadExploded', 1, {}),
      decodeEventData('ThreadRenamed', 2, { threadId, name: 'x' }),
      decodeEventData('ThreadRenamed', 1, { threadId: 'not-a-uuid', name: 'x' }),
    ].map((r) => (E.isLeft(r) ? describeSchemaError(r.left) : 'decoded'));
    expect(errs[0]).toBe('unknown event type "ThreadExploded"');
    expect(errs[1]).toBe('event "ThreadRenamed" has schema version 2; this build reads up to 1');
    expect(errs[2]).toMatch(/^event "ThreadRenamed" does not match its schema: .*not-a-uuid/);
  });
  it('upcasts an older version through the chain', () => {
    const registry = { current: 2, upcasters: { ThreadRenamed: { 1: (d: unknown) => ({ ...(d as object), name: (d as { title: string }).title }) } } };
    expect(decodeEventData('ThreadRenamed', 1, { threadId, title: 'old shape' }, registry)).toEqual(
      E.right({ type: 'ThreadRenamed', data: { threadId, name: 'old shape', title: 'old shape' } }),
    );
    const noPath = decodeEventData('ThreadArchived', 1, { threadId, rolloutPath: null }, registry);
    expect(E.isLeft(noPath) && noPath.left.kind).toBe('UnsupportedSchemaVersion');
  });
});
