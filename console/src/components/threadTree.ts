import type { ComponentChildren } from 'preact';
import { html } from '../html.js';
import { href } from '../router.js';
import { StatusWord } from './statusWord.js';

export type TreeNode = {
  readonly threadId: string;
  readonly parentThreadId: string | null;
  readonly status: string;
};

/**
 * A spawn tree as nested lists: each node its id (a link to its timeline) and its status as a
 * word. Nodes whose parent is not among them are the tops. `current` is marked as this page's.
 */
export const ThreadTree = ({
  nodes,
  current,
  label,
}: {
  nodes: readonly TreeNode[];
  current?: string;
  label: string;
}) => {
  const ids = new Set(nodes.map((n) => n.threadId));
  const children = new Map<string | null, TreeNode[]>();
  for (const n of nodes) {
    const parent = n.parentThreadId !== null && ids.has(n.parentThreadId) ? n.parentThreadId : null;
    children.set(parent, [...(children.get(parent) ?? []), n]);
  }
  const list = (parent: string | null, seen: Set<string>): ComponentChildren => {
    const here = (children.get(parent) ?? []).filter((n) => !seen.has(n.threadId));
    if (here.length === 0) return null;
    return html`<ul>
      ${here.map((n) => {
        const mine = n.threadId === current;
        return html`<li key=${n.threadId}>
          <a class=${mine ? 'mono this-thread' : 'mono'} href=${href(`/threads/${encodeURIComponent(n.threadId)}`)}
            aria-current=${mine ? 'page' : undefined}>${n.threadId}</a>
          ${' '}<${StatusWord} status=${n.status} />${mine ? html` <em>(this thread)</em>` : null}
          ${list(n.threadId, new Set([...seen, n.threadId]))}
        </li>`;
      })}
    </ul>`;
  };
  return html`<div class="thread-tree" role="group" aria-label=${label}>${list(null, new Set())}</div>`;
};
