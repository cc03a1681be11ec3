import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEventData, describeSchemaError, schemaRegistry } from '../../src/domain/schema.js';
import { newId, startedData } from '../support/threads.js';

describe('event schema on read', () => {
  const threadId = newId();
  it('decodes a current event', () => {
    expect(decodeEventData('ThreadArchived', 1, { threadId, rolloutPath: null })).toEqual(
      E.right({ type: 'ThreadArchived', data: { threadId, rolloutPath: null } }),
    );
  });
  it('fails loudly on an unknown type, a newer version, or a wrong shape', () => {
    const errs = [
      decodeEventData('ThreadExploded', 1, {}),
      decodeEventData('ThreadArchived', 2, { threadId, rolloutPath: null }),
      decodeEventData('ThreadArchived', 1, { threadId: 'not-a-uuid', rolloutPath: null }),
    ].map((r) => (E.isLeft(r) ? describeSchemaError(r.left) : 'decoded'));
    expect(errs[0]).toBe('unknown event type "ThreadExploded"');
    expect(errs[1]).toBe('event "ThreadArchived" has schema version 2; this build reads up to 1');
    expect(errs[2]).toMatch(/^event "ThreadArchived" does not match its schema: .*not-a-uuid/);
  });
  it('upcasts the older events this build changed: ThreadStarted without Codex metadata (v1) or a modification time (v2), ThreadRenamed without an index file, a tombstone without a commitment', () => {
    const { codex: _, updatedAtMs: __, ...v1 } = startedData({ threadId });
    expect(decodeEventData('ThreadStarted', 1, v1)).toEqual(
      E.right({ type: 'ThreadStarted', data: { ...v1, codex: null, updatedAtMs: null } }),
    );
    // v2: a start with no modification time (an import recorded it as a ThreadUpdated after).
    const { updatedAtMs: ___, ...v2 } = startedData({ threadId, codex: null });
    expect(decodeEventData('ThreadStarted', 2, v2)).toEqual(
      E.right({ type: 'ThreadStarted', data: { ...v2, updatedAtMs: null } }),
    );
    expect(decodeEventData('ThreadRenamed', 1, { threadId, name: 'x' })).toEqual(
      E.right({ type: 'ThreadRenamed', data: { threadId, name: 'x', indexedIn: null } }),
    );
    const v1Tombstone = { threadId, rootThreadId: threadId, reason: null };
    expect(decodeEventData('ThreadDeleteRequested', 1, v1Tombstone)).toEqual(
      E.right({ type: 'ThreadDeleteRequested', data: { ...v1Tombstone, commits: null } }),
    );
  });
  it('upcasts through a chain of versions, and refuses a version with no path to the current one', () => {
    const registry = {
      versions: { ...schemaRegistry.versions, ThreadArchived: 3 },
      upcasters: {
        ThreadArchived: {
          1: (d: unknown) => ({ ...(d as object), path: (d as { where: string }).where }),
          2: (d: unknown) => ({
            threadId: (d as { threadId: string }).threadId,
            rolloutPath: (d as { path: string }).path,
          }),
        },
      },
    };
    expect(decodeEventData('ThreadArchived', 1, { threadId, where: '/a' }, registry)).toEqual(
      E.right({ type: 'ThreadArchived', data: { threadId, rolloutPath: '/a' } }),
    );
    const noPath = decodeEventData(
      'ThreadUnarchived',
      0,
      { threadId, rolloutPath: null },
      registry,
    );
    expect(E.isLeft(noPath) && noPath.left.kind).toBe('UnsupportedSchemaVersion');
  });
});
