import type { DomainEvent } from './events.js';

/**
 * The artifacts a deletion purges, one step each. A new kind of artifact is a case here, the
 * event that records it done, and one executor (src/app/deletion/).
 */
export type PurgeStep =
  /** Find what the thread left in its Codex home; each find becomes a step below. */
  | { kind: 'InventoryCodexHome' }
  | { kind: 'PurgeRollout'; path: string }
  | { kind: 'PurgeSessionIndex'; path: string }
  | { kind: 'PurgeHistoryFile'; path: string }
  | { kind: 'PurgeCodexDatabase'; path: string }
  | { kind: 'ShredContent' };

export type StepKind = PurgeStep['kind'];

/** A step's name in the log (`DeletionStepFailed.step`) and in the deletion records. */
export const stepKey = (s: PurgeStep): string => {
  switch (s.kind) {
    case 'InventoryCodexHome':
      return 'codex-home';
    case 'PurgeRollout':
      return `rollout:${s.path}`;
    case 'PurgeSessionIndex':
      return `index:${s.path}`;
    case 'PurgeHistoryFile':
      return `history:${s.path}`;
    case 'PurgeCodexDatabase':
      return `database:${s.path}`;
    case 'ShredContent':
      return 'content';
  }
};

/**
 * The step an event settles, with its outcome in a word (`waived` for an operator's waiver); null
 * for any other event.
 */
export const stepDoneBy = (e: DomainEvent): { key: string; outcome: string } | null => {
  switch (e.type) {
    case 'CodexHomeInventoried':
      return { key: 'codex-home', outcome: 'found' };
    case 'RolloutPurged':
      return { key: `rollout:${e.data.path}`, outcome: e.data.outcome };
    case 'SessionIndexPurged':
      return { key: `index:${e.data.path}`, outcome: 'removed' };
    case 'HistoryFilePurged':
      return { key: `history:${e.data.path}`, outcome: 'removed' };
    case 'CodexDatabasePurged':
      return { key: `database:${e.data.path}`, outcome: 'removed' };
    case 'ThreadContentShredded':
      return { key: 'content', outcome: e.data.outcome };
    // Settled by an operator's decision, not done: the deletion completes without it.
    case 'DeletionStepWaived':
      return { key: e.data.step, outcome: 'waived' };
    default:
      return null;
  }
};

/** A rollout's files: Codex may keep a compressed sibling (`.jsonl.zst`) beside it; it goes too. */
export const rolloutFilesOf = (path: string): string[] => [path, `${path}.zst`];
