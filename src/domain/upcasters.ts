import type { EventType } from './events.js';

/**
 * Turns the payload of an older schema version into the next version's. Keyed by event type, then
 * by the version it upgrades *from*; applied in a chain until the type's current version.
 */
export type Upcasters = {
  readonly [K in EventType]?: Readonly<Record<number, (data: unknown) => unknown>>;
};

type Obj = Record<string, unknown>;

export const upcasters: Upcasters = {
  // v1 had no Codex metadata: such a thread was not imported from a Codex home.
  // v2 had no modification time: a thread imported then was updated by a ThreadUpdated.
  ThreadStarted: {
    1: (d) => ({ ...(d as Obj), codex: null }),
    2: (d) => ({ ...(d as Obj), updatedAtMs: null }),
  },
  // v1 names were never written to a session index file.
  ThreadRenamed: { 1: (d) => ({ ...(d as Obj), indexedIn: null }) },
  // v1 tombstones committed to nothing: their deletions cannot be proven complete.
  ThreadDeleteRequested: { 1: (d) => ({ ...(d as Obj), commits: null }) },
};
