import { describe, expect, it } from 'vitest';
import { refusal } from '../../src/api/appServer/appServer.js';
import type { ThreadId } from '../../src/domain/ids.js';

const id = '01a21371-4b35-72ca-ac7d-282102267fc9' as ThreadId;

describe('JSON-RPC: a command that cannot be recorded is -32602, naming the field', () => {
  it('maps an unrecordable event and a refused rollout path to Invalid params', () => {
    const e = refusal(
      {
        kind: 'UnrecordableEvent',
        threadId: id,
        eventType: 'ThreadUpdated',
        errors: [{ field: 'updatedAtMs', reason: 'must be a finite number, got Infinity' }],
      },
      id,
    );
    expect({ code: e.code, message: e.message }).toEqual({
      code: -32602,
      message: 'Invalid params: `updatedAtMs` must be a finite number, got Infinity',
    });
    const p = refusal(
      { kind: 'InvalidRolloutPath', threadId: id, path: 'x', reason: 'must be an absolute path' },
      id,
    );
    expect({ code: p.code, message: p.message }).toEqual({
      code: -32602,
      message: 'Invalid params: `rolloutPath` must be an absolute path',
    });
  });
});
