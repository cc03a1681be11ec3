import { describe, expect, it } from 'vitest';
import { newThread } from '../../src/domain/newThread.js';
import { newId } from '../support/threads.js';

describe("a new thread's ThreadStarted payload", () => {
  const threadId = newId();
  const given = {
    threadId,
    sourceKind: 'appServer',
    cwd: '/w',
    modelProvider: 'openai',
    createdAtMs: 1,
  } as const;

  it('is, for what is left out, its own session, with no parent, nothing known, nothing from Codex, no modification time', () => {
    expect(newThread(given)).toEqual({
      ...given,
      sessionId: threadId,
      parentThreadId: null,
      depth: 0,
      originator: null,
      cliVersion: null,
      gitInfo: null,
      rolloutPath: null,
      preview: null,
      name: null,
      codex: null,
      updatedAtMs: null,
    });
  });
  it('keeps every field given', () => {
    const parent = newId();
    const full = {
      ...given,
      sessionId: 's',
      parentThreadId: parent,
      depth: 2 as never,
      originator: 'o',
      cliVersion: 'v',
      gitInfo: { sha: 'a', branch: 'b', originUrl: 'c' },
      rolloutPath: '/r.jsonl',
      preview: 'p',
      name: 'n',
      codex: {
        source: 'cli' as const,
        forkedFromId: null,
        agentNickname: null,
        agentRole: null,
        threadSource: null,
      },
      updatedAtMs: 7,
    };
    expect(newThread(full)).toEqual(full);
  });
});
