/**
 * A wire-level EventStoreDB / KurrentDB test server: the real `@eventstore/db-client` talks real
 * gRPC to it, through the client's own generated service definitions. It implements the Streams
 * service (Append, Read of a stream and of $all, catch-up subscriptions to $all with filters,
 * Delete, Tombstone) in memory, with the semantics KurrentDB documents:
 *
 * - Optimistic concurrency (docs: "Optimistic concurrency & idempotence"): the expected revision
 *   is `any`, `no_stream`, `stream_exists` or an exact revision; a mismatch answers
 *   `wrong_expected_version` with the stream's current revision (or `no_stream`), not an error.
 * - Idempotence: "If identical write operations are performed, they will be treated in a way which
 *   makes it idempotent ... acknowledged as successful, but duplicate events will not be written.
 *   The idempotence check is based on the EventId and stream." Here: a write whose event ids are
 *   the events already at the expected position of that stream succeeds without writing.
 * - Revisions start at 0 per stream; $all positions (commit = prepare here) grow with each write
 *   and are never reused; reads of $all from a position include the event at that position.
 * - A soft-deleted stream reads as not found and can be written to again, continuing its
 *   revisions; a tombstoned stream can never be read or written again (`stream-deleted`).
 * - System events (types and streams starting with `$`) are in $all; `excludeSystemEvents` filters
 *   them out by the event-type regex the client sends.
 * - ServerFeatures is not implemented (as on servers before 21.10): the client then uses the
 *   classic Append call rather than BatchAppend.
 */

// The client's own generated definitions: CommonJS, with no ESM entry points.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const streamsGrpc = require('@eventstore/db-client/generated/streams_grpc_pb.js') as any;
const streamsPb = require('@eventstore/db-client/generated/streams_pb.js') as any;
const sharedPb = require('@eventstore/db-client/generated/shared_pb.js') as any;

type Stored = {
  stream: string;
  revision: bigint;
  position: bigint;
  id: string;
  metadata: Map<string, string>;
  customMetadata: Uint8Array;
  data: Uint8Array;
  created: bigint;
};

type StreamState = { revision: bigint; deleted: boolean; tombstoned: boolean; ids: string[] };

const TICKS_PER_MS = 10_000n;
const EPOCH_TICKS = 621_355_968_000_000_000n; // .NET ticks at the Unix epoch

const streamName = (identifier: any): string =>
  Buffer.from(identifier.getStreamName_asU8()).toString('utf8');

const uuidString = (uuid: any): string => {
  if (uuid.hasString()) return uuid.getString();
  const s = uuid.getStructured();
  const hex = (v: string) => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
  const h = hex(s.getMostSignificantBits()) + hex(s.getLeastSignificantBits());
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const deletedError = (stream: string): grpc.ServiceError => {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'stream-deleted');
  metadata.set('stream-name', stream);
  return Object.assign(new Error(`stream ${stream} is deleted`), {
    code: grpc.status.FAILED_PRECONDITION,
    details: `Event stream '${stream}' is deleted.`,
    metadata,
  });
};

export class EsdbTestServer {
  private readonly server = new grpc.Server();
  private readonly log: Stored[] = [];
  private readonly streams = new Map<string, StreamState>();
  private readonly listeners = new Set<() => void>();
  private nextPosition = 1000n;
  port = 0;
  /** Fault injection: the next N appends fail with this gRPC status (e.g. UNAVAILABLE, as a node restarting does). */
  failNextAppends: { count: number; code: grpc.status; exception?: string } | null = null;

  /** `systemEvents`: how many `$`-prefixed events to put in $all first, as a real server has. */
  constructor(private readonly systemEvents = 2) {
    this.server.addService(streamsGrpc.StreamsService, {
      append: (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) =>
        this.append(call, cb),
      read: (call: grpc.ServerWritableStream<any, any>) => this.read(call),
      delete: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) =>
        this.remove(call, cb, false),
      tombstone: (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) =>
        this.remove(call, cb, true),
      batchAppend: (call: grpc.ServerDuplexStream<any, any>) =>
        call.emit(
          'error',
          Object.assign(new Error('unimplemented'), { code: grpc.status.UNIMPLEMENTED }),
        ),
    });
  }

  async start(): Promise<string> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    for (let i = 0; i < this.systemEvents; i++) {
      this.write('$settings', [
        {
          id: `00000000-0000-4000-8000-00000000000${i}`,
          type: '$metadata',
          data: new Uint8Array(),
          custom: new Uint8Array(),
        },
      ]);
    }
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  async stop(): Promise<void> {
    // Open subscriptions would hold a graceful shutdown forever: cut them.
    this.server.forceShutdown();
  }

  private state(stream: string): StreamState | undefined {
    return this.streams.get(stream);
  }

  private write(
    stream: string,
    events: {
      id: string;
      type: string;
      data: Uint8Array;
      custom: Uint8Array;
      contentType?: string;
    }[],
  ) {
    const s = this.streams.get(stream) ?? {
      revision: -1n,
      deleted: false,
      tombstoned: false,
      ids: [],
    };
    s.deleted = false;
    let position = 0n;
    for (const e of events) {
      s.revision++;
      position = this.nextPosition;
      this.nextPosition += 100n;
      s.ids.push(e.id);
      const metadata = new Map([
        ['type', e.type],
        ['content-type', e.contentType ?? 'application/json'],
        ['created', String(BigInt(Date.now()) * TICKS_PER_MS + EPOCH_TICKS)],
      ]);
      this.log.push({
        stream,
        revision: s.revision,
        position,
        id: e.id,
        metadata,
        customMetadata: e.custom,
        data: e.data,
        created: 0n,
      });
    }
    this.streams.set(stream, s);
    for (const l of this.listeners) l();
    return { revision: s.revision, position };
  }

  private append(call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>): void {
    let options: any = null;
    const proposed: {
      id: string;
      type: string;
      contentType: string;
      data: Uint8Array;
      custom: Uint8Array;
    }[] = [];
    call.on('data', (req: any) => {
      if (req.hasOptions()) options = req.getOptions();
      else if (req.hasProposedMessage()) {
        const m = req.getProposedMessage();
        const meta = m.getMetadataMap();
        proposed.push({
          id: uuidString(m.getId()),
          type: meta.get('type'),
          contentType: meta.get('content-type'),
          data: m.getData_asU8(),
          custom: m.getCustomMetadata_asU8(),
        });
      }
    });
    call.on('end', () => {
      if (this.failNextAppends && this.failNextAppends.count > 0) {
        this.failNextAppends.count--;
        const metadata = new grpc.Metadata();
        if (this.failNextAppends.exception)
          metadata.set('exception', this.failNextAppends.exception);
        if (this.failNextAppends.exception === 'not-leader') {
          // The leader is this very node: the client reconnects to it and retries.
          metadata.set('leader-endpoint-host', '127.0.0.1');
          metadata.set('leader-endpoint-port', String(this.port));
        }
        return cb(
          Object.assign(new Error('injected failure'), {
            code: this.failNextAppends.code,
            details: 'injected failure',
            metadata,
          }),
        );
      }
      const stream = streamName(options.getStreamIdentifier());
      const s = this.state(stream);
      if (s?.tombstoned) return cb(deletedError(stream));
      const current = s && !s.deleted ? s.revision : null;
      const resp = new streamsPb.AppendResp();
      // Idempotence: the same events, already written where the expected revision puts them
      // (any: wherever the first of them is).
      if (s && proposed.length > 0 && !options.hasStreamExists()) {
        const at = options.hasRevision()
          ? Number(BigInt(options.getRevision())) + 1
          : options.hasNoStream()
            ? 0
            : s.ids.indexOf(proposed[0]!.id);
        if (at >= 0 && proposed.every((p, i) => s.ids[at + i] === p.id)) {
          return cb(null, this.success(resp, stream, BigInt(at + proposed.length - 1)));
        }
      }
      const ok = options.hasAny()
        ? true
        : options.hasNoStream()
          ? current === null
          : options.hasStreamExists()
            ? current !== null
            : current !== null && current === BigInt(options.getRevision());
      if (!ok) {
        const w = new streamsPb.AppendResp.WrongExpectedVersion();
        if (current === null) w.setCurrentNoStream(new sharedPb.Empty());
        else w.setCurrentRevision(current.toString());
        if (options.hasAny()) w.setExpectedAny(new sharedPb.Empty());
        else if (options.hasNoStream()) w.setExpectedNoStream(new sharedPb.Empty());
        else if (options.hasStreamExists()) w.setExpectedStreamExists(new sharedPb.Empty());
        else w.setExpectedRevision(options.getRevision());
        resp.setWrongExpectedVersion(w);
        return cb(null, resp);
      }
      const { revision } = this.write(stream, proposed);
      cb(null, this.success(resp, stream, revision));
    });
  }

  private success(resp: any, stream: string, revision: bigint): any {
    const e = this.log.find((x) => x.stream === stream && x.revision === revision)!;
    const success = new streamsPb.AppendResp.Success();
    success.setCurrentRevision(revision.toString());
    const p = new streamsPb.AppendResp.Position();
    p.setCommitPosition(e.position.toString());
    p.setPreparePosition(e.position.toString());
    success.setPosition(p);
    resp.setSuccess(success);
    return resp;
  }

  private recorded(e: Stored): any {
    const r = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
    const id = new sharedPb.UUID();
    id.setString(e.id);
    r.setId(id);
    const ident = new sharedPb.StreamIdentifier();
    ident.setStreamName(Buffer.from(e.stream));
    r.setStreamIdentifier(ident);
    r.setStreamRevision(e.revision.toString());
    r.setPreparePosition(e.position.toString());
    r.setCommitPosition(e.position.toString());
    for (const [k, v] of e.metadata) r.getMetadataMap().set(k, v);
    r.setCustomMetadata(e.customMetadata);
    r.setData(e.data);
    const ev = new streamsPb.ReadResp.ReadEvent();
    ev.setEvent(r);
    ev.setCommitPosition(e.position.toString());
    const resp = new streamsPb.ReadResp();
    resp.setEvent(ev);
    return resp;
  }

  private async read(call: grpc.ServerWritableStream<any, any>): Promise<void> {
    const o = call.request.getOptions();
    const backwards = o.getReadDirection() === 1;
    const count = o.hasCount() ? Number(BigInt(o.getCount())) : Number.MAX_SAFE_INTEGER;
    const exclude = this.filterOf(o);
    if (o.hasStream()) {
      const so = o.getStream();
      const stream = streamName(so.getStreamIdentifier());
      const s = this.state(stream);
      if (s?.tombstoned) {
        call.emit('error', deletedError(stream)); // how grpc-js ends a server stream with a status
        return;
      }
      if (!s || s.deleted) {
        const nf = new streamsPb.ReadResp.StreamNotFound();
        nf.setStreamIdentifier(so.getStreamIdentifier());
        const resp = new streamsPb.ReadResp();
        resp.setStreamNotFound(nf);
        call.write(resp);
        call.end();
        return;
      }
      let events = this.log.filter((e) => e.stream === stream);
      if (backwards) events = events.reverse();
      if (so.hasRevision()) {
        const from = BigInt(so.getRevision());
        events = events.filter((e) => (backwards ? e.revision <= from : e.revision >= from));
      }
      for (const e of events.slice(0, count)) call.write(this.recorded(e));
      call.end();
      return;
    }
    const ao = o.getAll();
    const subscribing = o.hasSubscription();
    const visible = (e: Stored) =>
      !this.state(e.stream)?.deleted && !this.state(e.stream)?.tombstoned && !exclude(e);
    if (!subscribing) {
      let events = this.log.filter(visible);
      if (backwards) events = events.reverse();
      if (ao.hasPosition()) {
        const from = BigInt(ao.getPosition().getCommitPosition());
        events = events.filter((e) => (backwards ? e.position <= from : e.position >= from));
      } else if (ao.hasEnd() && !backwards) events = [];
      for (const e of events.slice(0, count)) call.write(this.recorded(e));
      call.end();
      return;
    }
    // A catch-up subscription: confirmation, everything after the start, then each new event.
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(`sub-${Math.random().toString(36).slice(2)}`);
    const first = new streamsPb.ReadResp();
    first.setConfirmation(confirmation);
    call.write(first);
    let after = ao.hasPosition()
      ? BigInt(ao.getPosition().getCommitPosition())
      : ao.hasEnd()
        ? this.nextPosition
        : -1n;
    let open = true;
    let wake: (() => void) | null = null;
    const listener = () => wake?.();
    this.listeners.add(listener);
    call.on('cancelled', () => {
      open = false;
      wake?.();
    });
    call.on('close', () => {
      open = false;
      wake?.();
    });
    try {
      while (open) {
        const fresh = this.log.filter((e) => e.position > after);
        for (const e of fresh) {
          after = e.position;
          if (visible(e) && !call.write(this.recorded(e)))
            await new Promise((r) => call.once('drain', r));
        }
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.listeners.delete(listener);
    }
  }

  /** The client's filter: only the event-type regex / prefixes, which is what excludeSystemEvents sends. */
  private filterOf(o: any): (e: Stored) => boolean {
    if (!o.hasFilter()) return () => false;
    const f = o.getFilter();
    if (f.hasEventType()) {
      const ex = f.getEventType();
      const prefixes: string[] = ex.getPrefixList();
      const regex = ex.getRegex() ? new RegExp(ex.getRegex()) : null;
      return (e) => {
        const type = e.metadata.get('type') ?? '';
        const match =
          (regex ? regex.test(type) : true) &&
          (prefixes.length === 0 || prefixes.some((p) => type.startsWith(p)));
        return !match;
      };
    }
    if (f.hasStreamIdentifier()) {
      const ex = f.getStreamIdentifier();
      const prefixes: string[] = ex.getPrefixList();
      const regex = ex.getRegex() ? new RegExp(ex.getRegex()) : null;
      return (e) =>
        !(
          (regex ? regex.test(e.stream) : true) &&
          (prefixes.length === 0 || prefixes.some((p) => e.stream.startsWith(p)))
        );
    }
    return () => false;
  }

  private remove(
    call: grpc.ServerUnaryCall<any, any>,
    cb: grpc.sendUnaryData<any>,
    tombstone: boolean,
  ): void {
    const o = call.request.getOptions();
    const stream = streamName(o.getStreamIdentifier());
    const s = this.state(stream);
    if (s?.tombstoned) {
      cb(deletedError(stream));
      return;
    }
    if (s) {
      s.deleted = true;
      s.tombstoned = tombstone;
    } else if (tombstone) {
      this.streams.set(stream, { revision: -1n, deleted: true, tombstoned: true, ids: [] });
    }
    const resp = tombstone ? new streamsPb.TombstoneResp() : new streamsPb.DeleteResp();
    resp.setNoPosition(new sharedPb.Empty());
    cb(null, resp);
  }
}
