import type { CatalogKey, CatalogRow } from '../../projections/threadCatalogQuery.js';
import type { AuditThread } from './auditThreadShapes.js';
import { isoTime } from './isoTime.js';
import { keysetCursor, keysetOf } from './keysetCursor.js';

/** The one mapping from the thread catalog's rows to `GET /v1/audit/threads`, and its cursor. */

export const auditThreadOnWire = (r: CatalogRow): AuditThread => ({
  id: r.thread_id,
  parentThreadId: r.parent_thread_id,
  depth: r.depth,
  sourceKind: r.source_kind as AuditThread['sourceKind'],
  createdAt: r.created_at === null ? null : isoTime(r.created_at),
  createdBy: r.created_by,
  archived: r.archived === 1,
  status: r.status,
  deletion:
    r.root_thread_id === null || r.requested_by === null || r.requested_at === null
      ? null
      : {
          rootThreadId: r.root_thread_id,
          requestedBy: r.requested_by,
          requestedAt: isoTime(r.requested_at),
          reason: r.reason,
          deletedAt: r.deleted_at === null ? null : isoTime(r.deleted_at),
        },
});

/** A keyset cursor: where the next page starts, opaque to clients. */
export const catalogCursorOf = (r: CatalogRow): string => keysetCursor(r.listed_at, r.thread_id);

export const catalogKeyOf = (cursor: string): CatalogKey | null => {
  const k = keysetOf(cursor);
  return k === null ? null : { listedAt: k[0], threadId: k[1] };
};
