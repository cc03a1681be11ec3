import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';

export type FixtureThread = {
  id: string;
  parent: string | null;
  depth: number;
  path: string;
  archived: boolean;
  name: string | null;
  source: string;
  cwd: string;
  preview: string;
  createdAt: Date;
};

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, '');

/** Writes one rollout as Codex does: session_meta first, then the first user message. */
export const writeRollout = (home: string, t: Omit<FixtureThread, 'path'>): string => {
  const [y, m, d] = t.createdAt.toISOString().slice(0, 10).split('-') as [string, string, string];
  const dir = t.archived ? join(home, 'archived_sessions') : join(home, 'sessions', y, m, d);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rollout-${stamp(t.createdAt)}-${t.id}.jsonl`);
  const ts = t.createdAt.toISOString();
  const source =
    t.parent === null
      ? t.source
      : {
          subagent: {
            thread_spawn: {
              parent_thread_id: t.parent,
              depth: t.depth,
              agent_path: null,
              agent_nickname: `agent-${t.depth}`,
              agent_role: 'worker',
            },
          },
        };
  const meta = {
    id: t.id,
    timestamp: ts,
    cwd: t.cwd,
    originator: 'codex_cli_rs',
    cli_version: '0.169.0',
    source,
    model_provider: 'openai',
    ...(t.parent ? { parent_thread_id: t.parent } : {}),
    git: { commit_hash: 'abc123', branch: 'main', repository_url: 'https://example.com/repo.git' },
  };
  const lines = [
    { timestamp: ts, type: 'session_meta', payload: meta },
    { timestamp: ts, type: 'turn_context', payload: { cwd: t.cwd } },
    {
      timestamp: ts,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: t.preview }],
      },
    },
    {
      timestamp: ts,
      type: 'event_msg',
      payload: { type: 'user_message', message: t.preview, kind: 'plain' },
    },
    {
      timestamp: ts,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'On it.' }],
      },
    },
  ];
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const mtime = new Date(t.createdAt.getTime() + 60_000);
  utimesSync(path, mtime, mtime);
  return path;
};

export type CodexHomeFixture = {
  home: string;
  threads: Map<string, FixtureThread>;
  roots: string[];
  /** Children of each thread, in creation order. */
  children: Map<string, string[]>;
  malformed: string[];
  /** Compressed siblings (`.jsonl.zst`) written beside some rollouts, by thread id. */
  zst: Map<string, string>;
};

/**
 * A generated CODEX_HOME: root threads of several sources, subagent trees several levels deep,
 * archived threads (one whose subagents are archived too), renamed threads in
 * session_index.jsonl (renamed twice: the last wins), and malformed rollouts.
 */
export const generateCodexHome = (
  home: string,
  opts: { roots?: number; trees?: number; depth?: number; fanout?: number } = {},
): CodexHomeFixture => {
  const { roots = 6, trees = 2, depth = 3, fanout = 2 } = opts;
  const threads = new Map<string, FixtureThread>();
  const children = new Map<string, string[]>();
  let clock = Date.parse('2026-11-20T10:00:00Z');
  const add = (parent: string | null, d: number, source: string, archived: boolean): string => {
    const id = uuidv7();
    clock += 61_000;
    const t = {
      id,
      parent,
      depth: d,
      archived,
      name: null,
      source,
      cwd: `/home/dev/project-${threads.size % 3}`,
      preview: `task ${threads.size}: please fix the build`,
      createdAt: new Date(clock),
    };
    const path = writeRollout(home, t);
    threads.set(id, { ...t, path });
    if (parent) children.set(parent, [...(children.get(parent) ?? []), id]);
    return id;
  };
  const rootIds: string[] = [];
  const sources = ['cli', 'vscode', 'exec', 'cli'];
  for (let i = 0; i < roots; i++)
    rootIds.push(add(null, 0, sources[i % sources.length]!, i === roots - 1));
  const grow = (parent: string, d: number, archived: boolean) => {
    if (d > depth) return;
    for (let i = 0; i < fanout; i++) grow(add(parent, d, 'subagent', archived), d + 1, archived);
  };
  for (let i = 0; i < trees; i++) grow(rootIds[i]!, 1, false);
  grow(rootIds[roots - 1]!, 1, true); // an archived root whose subtree is archived too

  // Renames: the first root twice (the last wins), the second root once.
  const index = [
    { id: rootIds[0], thread_name: 'First name', updated_at: '2026-11-20T11:00:00Z' },
    { id: rootIds[1], thread_name: 'Build fixer', updated_at: '2026-11-20T11:01:00Z' },
    { id: rootIds[0], thread_name: 'Release checklist', updated_at: '2026-11-20T11:02:00Z' },
  ];
  writeFileSync(
    join(home, 'session_index.jsonl'),
    `${index.map((l) => JSON.stringify(l)).join('\n')}\n`,
  );
  threads.get(rootIds[0]!)!.name = 'Release checklist';
  threads.get(rootIds[1]!)!.name = 'Build fixer';

  // Compressed siblings, as Codex may leave: beside the first child of the first two trees.
  const zst = new Map<string, string>();
  for (const r of rootIds.slice(0, trees)) {
    const c = children.get(r)?.[0];
    if (!c) continue;
    writeFileSync(`${threads.get(c)!.path}.zst`, 'compressed');
    zst.set(c, `${threads.get(c)!.path}.zst`);
  }

  const badDir = join(home, 'sessions', '2026', '11', '21');
  mkdirSync(badDir, { recursive: true });
  const malformed = [
    join(badDir, `rollout-2026-11-21T09-00-00-${uuidv7()}.jsonl`),
    join(badDir, `rollout-2026-11-21T09-00-01-${uuidv7()}.jsonl`),
  ];
  writeFileSync(malformed[0]!, 'this is not json\n');
  writeFileSync(malformed[1]!, ''); // truncated to nothing
  return { home, threads, roots: rootIds, children, malformed, zst };
};
