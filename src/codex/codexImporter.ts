import { statSync } from 'node:fs';
import { basename } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describeHandleError, type HandleError } from '../app/handleError.js';
import { inLanes } from '../app/inLanes.js';
import { purgeLateRollout } from '../app/lateRollouts.js';
import type { Loaded } from '../app/threadRepository.js';
import { tombstoneDescendant } from '../app/tombstoneDescendant.js';
import type { Command } from '../domain/commands.js';
import { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { initialState, normalizeName } from '../domain/threadDecider.js';
import { isTombstoned } from '../domain/threadState.js';
import { SessionIndexFile } from '../io/sessionIndexFile.js';
import type { CodexHome, RolloutFile } from './codexHome.js';
import type { CodexLedger } from './codexLedger.js';
import { type RolloutInfo, readRollout } from './rolloutFile.js';

export type ImportReport = {
  scanned: number;
  started: number;
  updated: number;
  renamed: number;
  /** Rollouts that could not be read, with why; they are skipped, never written to. */
  skipped: { path: string; error: string }[];
  /** Rollouts of deleted threads (or of children of deleted threads) that turned up: purged and recorded. */
  purgedLate: string[];
};

/** Rollout heads read between two turns of the event loop (a few milliseconds of reading). */
const READ_BATCH = 256;
/** How far up a parent chain the cycle check looks. */
const MAX_ANCESTRY = 10_000;
/**
 * Threads imported at once: enough for large group commits, few enough that what they hold
 * (events, sealed content) stays bounded. Those with a long first message go a few at a time.
 */
const IN_FLIGHT = 512;
const IN_FLIGHT_LONG = 4;

/**
 * A first message longer than this (characters) is not kept between reading a rollout and
 * importing it: it is read again then. Every rollout's head is read before the first is imported
 * (parents go first), and a home of long first messages must not be held in memory at once.
 */
const HELD_PREVIEW_MAX = 8 * 1024;

/** A rollout as kept from its reading to its import: a long first message left out (null). */
type ReadRollout = { file: RolloutFile; info: RolloutInfo; previewLeftOut: boolean };
const kept = (file: RolloutFile, info: RolloutInfo): ReadRollout =>
  info.started.preview !== null && info.started.preview.length > HELD_PREVIEW_MAX
    ? { file, info: { ...info, started: { ...info.started, preview: null } }, previewLeftOut: true }
    : { file, info, previewLeftOut: false };

/** The view of a stream never written: what a thread the read models never saw is decided on. */
const NEVER_SEEN: Loaded = { state: initialState, revision: 'no_stream' };

/** A refusal as a skip reports it: its kind first (what scripts match on), then why. */
const refused = (e: HandleError): string => `${e.kind}: ${describeHandleError(e)}`;
const ctx: CommandContext = { actor: 'codex-import', requestId: 'codex-import', causationId: null };

/**
 * Why a file was skipped, without its path (the report line names it once): the path a reader
 * put in front (`<path>: ...`) and the one Node's file system errors end with (`, open '<path>'`)
 * are taken out.
 */
const withoutPath = (path: string, error: string): string => {
  let why = error.startsWith(`${path}: `) ? error.slice(path.length + 2) : error;
  const quoted = ` '${path}'`;
  if (why.endsWith(quoted)) {
    why = why.slice(0, -quoted.length);
    const call = why.lastIndexOf(', ');
    if (call >= 0 && /^, \w+$/.test(why.slice(call))) why = why.slice(0, call);
  }
  return why;
};

const skipped = (report: ImportReport, path: string, error: string): void => {
  report.skipped.push({ path, error: withoutPath(path, error) });
};

/**
 * Imports a Codex home into the ledger: each rollout becomes a `ThreadStarted` (with its spawn
 * edge, archive state and modification time), and `session_index.jsonl` names become renames.
 * Idempotent (what the ledger already knows appends nothing) and incremental (a rollout whose
 * modification time has not changed since the last run is not read again).
 */
export class CodexImporter {
  private readonly seen = new Map<string, number>();
  /** The session index's mtime when its names were last imported. */
  private indexSeenMtimeMs: number | null = null;

  constructor(
    private readonly home: CodexHome,
    private readonly ledger: CodexLedger,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  private running: Promise<unknown> = Promise.resolve();
  /**
   * The read models had folded nothing when this run began (a first import): every thread is
   * guessed unseen without asking them, one query less each.
   */
  private nothingKnown = false;

  /**
   * `full`: look at every rollout again, not only at folders that changed (see CodexHome).
   * Runs one at a time: a periodic full scan and the scan before a list never overlap.
   */
  run(opts: { full?: boolean } = {}): Promise<ImportReport> {
    const next = this.running.then(() => this.runOnce(opts));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async runOnce(opts: { full?: boolean }): Promise<ImportReport> {
    const report: ImportReport = {
      scanned: 0,
      started: 0,
      updated: 0,
      renamed: 0,
      skipped: [],
      purgedLate: [],
    };
    const index = new SessionIndexFile(this.home.sessionIndexPath);
    const files = (await this.home.listRollouts(opts)).filter(
      (f) => this.seen.get(f.path) !== f.mtimeMs,
    );
    const indexMtimeMs = statSync(index.path, { throwIfNoEntry: false })?.mtimeMs ?? null;
    // Nothing new on disk since the last run: nothing to read (the common case before a list).
    if (files.length === 0 && indexMtimeMs === this.indexSeenMtimeMs) return report;
    // A session index that is not a regular file (a FIFO, a directory, a symlink) is reported and
    // left alone: its names are not imported, and it is neither read nor rewritten.
    let names = new Map<string, string>();
    let indexReadable = true;
    try {
      names = index.names();
    } catch (err) {
      indexReadable = false;
      skipped(report, index.path, `session index not read: ${(err as Error).message}`);
    }
    report.scanned = files.length;
    let infos: ReadRollout[] = [];
    for (let i = 0; i < files.length; i += READ_BATCH) {
      // Read synchronously a batch at a time, the event loop let through between batches.
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const file of files.slice(i, i + READ_BATCH)) {
        const r = readRollout(file.path);
        if (E.isLeft(r)) skipped(report, file.path, r.left);
        else {
          infos.push(kept(file, r.right));
          this.ledger.inventory?.learn(file.path, file.mtimeMs, r.right.started.threadId);
        }
      }
      this.onProgress?.(Math.min(i + READ_BATCH, files.length), files.length);
    }
    // Parents before children, so that every spawn edge lands on a thread that exists: the depth
    // is counted along the parents found in this run (a rollout may name its parent without a depth).
    // Two rollouts may carry one id (a copy, a file named for another thread): the thread's own
    // file, named for it as Codex names rollouts, is its rollout; the other is not imported (the
    // thread's deletion purges it too: it carries the id).
    const own = (x: ReadRollout) => basename(x.file.path).includes(x.info.started.threadId);
    const byId = new Map<string, ReadRollout>();
    for (const x of infos) {
      const seen = byId.get(x.info.started.threadId);
      if (!seen || (!own(seen) && own(x))) byId.set(x.info.started.threadId, x);
    }
    // A rollout whose parent chain comes back to it (it names itself, or two name each other) is
    // refused: imported, it would make the spawn graph a loop.
    await this.ledger.runner.catchUp();
    this.nothingKnown = this.ledger.runner.position() === null;
    const cyclic = new Map<string, string[]>();
    for (const x of byId.values()) {
      const loop = this.parentLoop(x.info.started.threadId, byId);
      if (loop) cyclic.set(x.info.started.threadId, loop);
    }
    for (const [id, loop] of cyclic) {
      const x = byId.get(id)!;
      byId.delete(id);
      const why =
        loop.length === 2
          ? `thread ${id} names itself as its parent`
          : `its parent chain comes back to it: ${loop.join(' -> ')}`;
      this.skip(report, x.file, `ParentCycle: ${why}; not imported`);
    }
    infos = [...byId.values()];
    const depths = new Map<string, number>();
    const depthOf = (id: string, guard = 0): number => {
      const known = depths.get(id);
      if (known !== undefined) return known;
      const parent = byId.get(id)?.info.started.parentThreadId;
      const d =
        parent && byId.has(parent) && guard < 1000
          ? depthOf(parent, guard + 1) + 1
          : parent
            ? 1
            : 0;
      depths.set(id, d);
      return d;
    };
    infos.sort((a, b) => depthOf(a.info.started.threadId) - depthOf(b.info.started.threadId));
    // Every key the run needs, in one durable write rather than one per thread.
    if (infos.length > 0)
      await this.ledger.keys.ensure(infos.map(({ info }) => info.started.threadId));
    let depth = -1;
    let wave: ReadRollout[] = [];
    const flush = async () => {
      await Promise.all([
        inLanes(
          wave.filter((x) => !x.previewLeftOut),
          IN_FLIGHT,
          (x) => this.importOne(x, names, report),
        ),
        inLanes(
          wave.filter((x) => x.previewLeftOut),
          IN_FLIGHT_LONG,
          (x) => this.importOne(x, names, report),
        ),
      ]);
      wave = [];
    };
    for (const x of infos) {
      const d = depthOf(x.info.started.threadId);
      if (d !== depth) {
        await flush();
        depth = d;
      }
      wave.push(x);
    }
    await flush();
    if (indexReadable) await this.importNames(index, names, report);
    this.indexSeenMtimeMs = indexMtimeMs;
    return report;
  }

  /**
   * One rollout into the ledger. The read models, caught up before the run, say first what the
   * ledger has: a thread they list unchanged (same modification time, same archive state) needs
   * nothing, and a thread they have never seen is started on an empty stream without reading it
   * (`guess`). A guess the log contradicts (a stream written since) costs a conflict: the start
   * is decided again on the stream, and a refusal there is judged on the stream read (`guess` off).
   */
  private async importOne(
    read: ReadRollout,
    names: Map<string, string>,
    report: ImportReport,
    guess = true,
  ): Promise<void> {
    const { file, info } = read;
    const { repo, commands, lifecycle, queries } = this.ledger;
    const id = info.started.threadId;
    const row = guess && !this.nothingKnown ? queries.thread(id) : null;
    if (row && row.updated_at >= file.mtimeMs && row.archived === (file.archived ? 1 : 0)) {
      this.seen.set(file.path, file.mtimeMs);
      return;
    }
    const unseen = guess && row === null && (this.nothingKnown || queries.node(id) === null);
    const loaded = unseen ? NEVER_SEEN : await repo.load(id);
    if (isTombstoned(loaded.state)) return this.purgeLate(file, id, report);
    const update: Command = { type: 'UpdateThread', threadId: id, updatedAtMs: file.mtimeMs };
    if (loaded.state.status === 'absent') {
      const follow: Command[] = [];
      const parent = info.started.parentThreadId;
      const parentLoaded = parent === null ? null : await repo.load(parent);
      const parentState = parentLoaded?.state ?? null;
      if (parent !== null && parentState && isTombstoned(parentState)) {
        // A subagent of a deleted thread turned up: it is deleted too, never listed.
        const rootThreadId = parentState.rootThreadId ?? parent;
        const t = await tombstoneDescendant(
          commands,
          { child: id, parent, rootThreadId },
          ctx,
          loaded,
        );
        if (t && E.isLeft(t))
          return unseen
            ? this.importOne(read, names, report, false)
            : this.skip(report, file, `tombstone refused: ${refused(t.left)}`);
        return this.purgeLate(file, id, report);
      }
      // Its modification time comes with its start: one event, not a start and an update.
      const started = { ...info.started, rolloutPath: file.path, updatedAtMs: file.mtimeMs };
      if (read.previewLeftOut) {
        // Its first message was left out after the first read: read again, for this thread alone.
        const again = readRollout(file.path);
        if (E.isLeft(again)) return skipped(report, file.path, again.left);
        // Rewritten for another thread meanwhile: left to the next scan (not marked seen).
        if (again.right.started.threadId !== id) return;
        started.preview = again.right.started.preview;
      }
      // The name before the archive: an archived thread cannot be renamed. A name the ledger
      // refuses (longer than MAX_NAME_LENGTH) is reported; the thread is imported without it.
      const name = names.get(id);
      if (name?.trim()) {
        const valid = normalizeName(id, name);
        if (E.isRight(valid))
          follow.push({
            type: 'RenameThread',
            threadId: id,
            name,
            indexedIn: this.home.sessionIndexPath,
          });
        else
          skipped(
            report,
            this.home.sessionIndexPath,
            `name of thread ${id} not imported: ${valid.left.kind === 'InvalidName' ? valid.left.reason : valid.left.kind}`,
          );
      }
      if (file.archived)
        follow.push({ type: 'ArchiveThread', threadId: id, rolloutPath: file.path });
      // A subagent of a thread the ledger has is spawned under it as a writer's is; any other
      // thread starts on its own (its parent, if named, is not known here).
      const r =
        parent !== null && parentState?.status === 'live'
          ? await lifecycle.recordSpawn(parent, started, ctx, follow, {
              parent: parentLoaded!,
              child: loaded,
            })
          : await commands.handle({ type: 'StartThread', thread: started }, ctx, {
              known: loaded,
              followedBy: follow,
            });
      if (E.isLeft(r))
        return unseen
          ? this.importOne(read, names, report, false)
          : this.skip(report, file, refused(r.left));
      report.started++;
      // Its name came with it: a rename as much as one of a thread the ledger had.
      if (follow.some((c) => c.type === 'RenameThread')) report.renamed++;
    } else {
      const row = this.ledger.queries.thread(id);
      const follow: Command[] = [update];
      if (file.archived !== loaded.state.archived) {
        follow.push(
          file.archived
            ? { type: 'ArchiveThread', threadId: id, rolloutPath: file.path }
            : { type: 'UnarchiveThread', threadId: id, rolloutPath: file.path },
        );
      }
      if (row && row.updated_at >= file.mtimeMs && follow.length === 1) {
        this.seen.set(file.path, file.mtimeMs);
        return;
      }
      const r = await commands.handleAll(id, follow, ctx, loaded);
      if (E.isLeft(r)) return this.skip(report, file, refused(r.left));
      report.updated++;
    }
    this.seen.set(file.path, file.mtimeMs);
  }

  /**
   * The parent chain of a thread, if it comes back to the thread: through the rollouts of this run
   * first, then the threads the ledger knows. Bounded: a chain that loops above the thread (not
   * through it) or runs longer than MAX_ANCESTRY is not this thread's loop.
   */
  private parentLoop(
    id: string,
    byId: ReadonlyMap<string, { info: RolloutInfo }>,
  ): string[] | null {
    const chain = [id];
    const seen = new Set<string>([id]);
    let cur: string | null = byId.get(id)?.info.started.parentThreadId ?? null;
    for (let steps = 0; cur !== null && steps < MAX_ANCESTRY; steps++) {
      if (cur === id) return [...chain, cur];
      if (seen.has(cur)) return null;
      seen.add(cur);
      chain.push(cur);
      const inRun = byId.get(cur);
      cur = inRun
        ? inRun.info.started.parentThreadId
        : (this.ledger.queries.node(cur)?.parent_thread_id ?? null);
    }
    return null;
  }

  /** Purges a rollout of a tombstoned thread at once, confined to the roots, and records it. */
  private async purgeLate(file: RolloutFile, id: ThreadId, report: ImportReport): Promise<void> {
    try {
      const r = await purgeLateRollout(this.ledger, id, file.path, ctx);
      if (E.isLeft(r)) return this.skip(report, file, refused(r.left));
      report.purgedLate.push(file.path);
    } catch (err) {
      this.skip(report, file, (err as Error).message);
    }
  }

  private skip(report: ImportReport, file: RolloutFile, error: string): void {
    skipped(report, file.path, error);
  }

  /** Names from `session_index.jsonl` (last line wins) that known threads do not have yet. */
  private async importNames(
    index: SessionIndexFile,
    names: Map<string, string>,
    report: ImportReport,
  ): Promise<void> {
    await this.ledger.runner.catchUp();
    const renames: Promise<void>[] = [];
    // Lines of deleted threads (a name Codex wrote after, or just before, the deletion) go at once.
    // The read models (just caught up) name the candidates; the log confirms each: a name of a
    // live thread costs no read of its stream.
    const tombstoned: ThreadId[] = [];
    for (const id of names.keys()) {
      const status = ThreadId.is(id) ? this.ledger.queries.node(id)?.status : undefined;
      if (status !== 'deleting' && status !== 'deleted') continue;
      if (isTombstoned((await this.ledger.repo.load(id as ThreadId)).state))
        tombstoned.push(id as ThreadId);
    }
    if (tombstoned.length > 0) {
      const removed = index.remove(new Set(tombstoned));
      await Promise.all(
        tombstoned.map((threadId) =>
          this.ledger.commands.handle(
            {
              type: 'RecordSessionIndexPurged',
              result: {
                threadId,
                path: index.path,
                linesRemoved: (removed.get(threadId) ?? 0) as never,
              },
            },
            ctx,
          ),
        ),
      );
    }
    for (const [id, name] of names) {
      if (tombstoned.includes(id as ThreadId)) continue;
      if (!name.trim() || this.ledger.queries.sessionName(id) === name.trim()) continue;
      if (this.ledger.queries.thread(id) === null) continue; // unknown or deleted thread
      renames.push(
        this.ledger.lifecycle.rename(id as ThreadId, name, ctx, index.path).then((r) => {
          if (E.isRight(r)) report.renamed++;
          else if (r.left.kind === 'InvalidName')
            skipped(report, index.path, `name of thread ${id} not imported: ${r.left.reason}`);
        }),
      );
    }
    await Promise.all(renames);
    await this.ledger.runner.catchUp();
  }
}
