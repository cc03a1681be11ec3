import { randomUUID } from 'node:crypto';
import type { ThreadStarted } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { newThread } from '../../src/domain/newThread.js';

export const newId = (): ThreadId => randomUUID() as ThreadId;

/** A ThreadStarted payload with plausible defaults: a Codex CLI thread, or a subagent under a parent. */
export const startedData = (over: Partial<ThreadStarted> = {}): ThreadStarted =>
  newThread({
    threadId: newId(),
    sourceKind: over.parentThreadId ? 'subAgentThreadSpawn' : 'cli',
    cwd: '/home/dev/project',
    modelProvider: 'openai',
    originator: 'codex_cli_rs',
    cliVersion: '0.169.0',
    createdAtMs: 1_790_000_000_000,
    preview: 'hello',
    ...over,
  });
