import type { WireItem } from './turnItems.js';

/** The turns of a thread as a rollout is read: the ones closed, the one open, and item numbering. */

export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'inProgress';
export type WireTurn = {
  id: string;
  rootTurnId: null;
  items: WireItem[];
  itemsView: 'full';
  status: TurnStatus;
  error: null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
};

export type Turn = {
  id: string;
  items: WireItem[];
  status: TurnStatus;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  /** Opened by `task_started` (else implicitly, by the first line that needed a turn). */
  explicit: boolean;
  sawCompaction: boolean;
};

const newTurn = (id: string): Turn => ({
  id,
  items: [],
  status: 'completed',
  startedAt: null,
  completedAt: null,
  durationMs: null,
  explicit: false,
  sawCompaction: false,
});

export class TurnList {
  private readonly closed: Turn[] = [];
  /** The turn open now, if any. */
  current: Turn | null = null;
  private nextItem = 1;
  /** Items created so far (an update of an existing item does not count). */
  items = 0;

  /** Closes the open turn and opens one that `task_started` names. */
  openExplicit(id: string, startedAt: number | null): void {
    this.closeCurrent();
    this.current = { ...newTurn(id), status: 'inProgress', explicit: true, startedAt };
  }

  /** The open turn, or one opened implicitly by the kept line at `position` (`rollout-<n>`). */
  ensure(position: number): Turn {
    this.current ??= newTurn(`rollout-${position}`);
    return this.current;
  }

  /** The open turn if it has this id, else a closed one that has it. */
  find(id: string): Turn | undefined {
    return this.current?.id === id ? this.current : this.closed.find((t) => t.id === id);
  }

  /** A closed turn with this id. */
  findClosed(id: string): Turn | undefined {
    return this.closed.find((t) => t.id === id);
  }

  /** The next `item-<n>` id, for an item without a call id of its own. */
  itemId(): string {
    return `item-${this.nextItem++}`;
  }

  push(turn: Turn, item: WireItem): void {
    turn.items.push(item);
    this.items++;
  }

  /** Replaces the turn's item with this id, or adds it. */
  upsert(turn: Turn, item: WireItem): void {
    const i = turn.items.findIndex((x) => x.id === item.id);
    if (i >= 0) turn.items[i] = item;
    else this.push(turn, item);
  }

  /** An item that names its turn goes to that turn, or nowhere if the turn is unknown (as Codex). */
  upsertInTurn(turnId: string, item: WireItem): void {
    const turn = this.find(turnId);
    if (turn) this.upsert(turn, item);
  }

  /** The open turn is closed; one opened implicitly that holds nothing is dropped. */
  closeCurrent(): void {
    const t = this.current;
    this.current = null;
    if (!t || (t.items.length === 0 && !t.explicit && !t.sawCompaction)) return;
    this.closed.push(t);
  }

  /** The last `n` turns are taken back; item numbering goes on from what is left. */
  rollBack(n: number): void {
    this.closeCurrent();
    this.closed.splice(Math.max(0, this.closed.length - n));
    this.nextItem = this.closed.reduce((s, t) => s + t.items.length, 0) + 1;
  }

  /** The turns; one still open is `interrupted` (nothing is running it). */
  finish(): WireTurn[] {
    this.closeCurrent();
    return this.closed.map((t) => ({
      id: t.id,
      rootTurnId: null,
      items: t.items,
      itemsView: 'full',
      status: t.status === 'inProgress' ? 'interrupted' : t.status,
      error: null,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      durationMs: t.durationMs,
    }));
  }
}
