import { randomUUID } from 'node:crypto';
import type { EventOf } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';

export const newId = (): ThreadId => randomUUID() as ThreadId;

type Started = EventOf<'ThreadStarted'>['data'];

/** A ThreadStarted payload with plausible defaults. */
export const startedData = (over: Partial<Started> & { threadId?: ThreadId } = {}): Started => {
  const threadId = over.threadId ?? newId();
  return {
    threadId,
    sessionId: threadId,
    parentThreadId: null,
    depth: 0 as Started['depth'],
    sourceKind: over.parentThreadId ? 'subAgentThreadSpawn' : 'cli',
    cwd: '/home/dev/project',
    modelProvider: 'openai',
    originator: 'codex_cli_rs',
    cliVersion: '0.169.0',
    gitInfo: null,
    createdAtMs: 1_790_000_000_000,
    rolloutPath: null,
    preview: 'hello',
    name: null,
    codex: null,
    ...over,
  };
};
