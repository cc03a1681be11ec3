import type { StoredRecord } from '../evidence/entry.js';
import type { RecordedEvent } from './eventStore.js';

/**
 * An event as the store holds it, for the evidence tree: its JSON text as read when the store
 * gave it, else `JSON.stringify` of the parsed value, which is the same text for every event the
 * ledger wrote (appends store `JSON.stringify` of the value, and that round-trips exactly).
 */
export const storedRecordOf = (r: RecordedEvent): StoredRecord => ({
  streamId: r.streamId,
  revision: r.revision,
  id: r.id,
  type: r.type,
  position: r.position,
  dataJson: r.json?.data ?? JSON.stringify(r.data),
  metadataJson: r.json?.metadata ?? JSON.stringify(r.metadata),
});
