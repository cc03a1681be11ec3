import * as t from 'io-ts';
import { ThreadListParams } from '../../projections/threadListQuery.js';

/** The params of each method, the one definition they are decoded with. */
export const ThreadIdParams = t.type({ threadId: t.string });
export const ThreadReadParams = t.intersection([
  ThreadIdParams,
  t.partial({ includeTurns: t.boolean }),
]);
export const ThreadSetNameParams = t.type({ threadId: t.string, name: t.string });
export const InitializeParams = t.type({
  clientInfo: t.type({ name: t.string, version: t.string }),
});
export { ThreadListParams };

/** A JSON-RPC message: a request has an id and a method, a notification a method only. */
export const RpcMessage = t.intersection([
  t.type({ method: t.string }),
  t.partial({
    id: t.union([t.string, t.number, t.null]),
    params: t.unknown,
    jsonrpc: t.literal('2.0'),
  }),
]);
export type RpcMessage = t.TypeOf<typeof RpcMessage>;
