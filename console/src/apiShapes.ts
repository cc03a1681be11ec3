import type * as t from 'io-ts';
import type { AuditThreads as AuditThreadsCodec } from '../../src/api/http/auditThreadShapes.js';
import type {
  DeletionStep as DeletionStepCodec,
  DeletionSummary as DeletionSummaryCodec,
  Deletions as DeletionsCodec,
  DeletionThread as DeletionThreadCodec,
  OneDeletion as OneDeletionCodec,
} from '../../src/api/http/deletionShapes.js';
import type { DeletionStats as DeletionStatsCodec } from '../../src/api/http/deletionStatsShapes.js';
import type {
  EvidenceKey as EvidenceKeyCodec,
  LogVerificationOnWire,
} from '../../src/api/http/evidenceShapes.js';
import type {
  History as HistoryCodec,
  Subtree as SubtreeCodec,
} from '../../src/api/http/responses.js';

/**
 * The answers of the API the console reads, derived from the codecs the server answers with (one
 * definition of each shape). `OutputOf`: the JSON as sent (counts plain numbers, not io-ts's
 * branded `Int`). Types only: nothing of the server enters the bundle; those shapes modules
 * import only io-ts and src/domain, so the console's typecheck stays free of Node's types.
 */
type Wire<C extends t.Mixed> = t.OutputOf<C>;

export type AuditThreads = Wire<typeof AuditThreadsCodec>;
export type AuditThread = AuditThreads['threads'][number];

export type Deletions = Wire<typeof DeletionsCodec>;
export type DeletionSummary = Wire<typeof DeletionSummaryCodec>;
export type OneDeletion = Wire<typeof OneDeletionCodec>;
export type Deletion = OneDeletion['deletion'];
export type DeletionThread = Wire<typeof DeletionThreadCodec>;
export type DeletionStep = Wire<typeof DeletionStepCodec>;

export type DeletionStats = Wire<typeof DeletionStatsCodec>;
export type FailingStep = DeletionStats['failingSteps'][number];
export type OverTimePoint = DeletionStats['overTime'][number];
export type TimeToComplete = DeletionStats['timeToComplete'];

export type Verification = Wire<typeof LogVerificationOnWire>;
export type EvidenceKey = Wire<typeof EvidenceKeyCodec>;

export type History = Wire<typeof HistoryCodec>;
export type Recorded = History['events'][number];
export type Subtree = Wire<typeof SubtreeCodec>;
