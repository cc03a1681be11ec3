import { WebSocket } from 'ws';

/**
 * One JSON-RPC call over `/rpc` of a listening server, as a token's holder: opens the socket,
 * sends the call as id 1, and answers its reply (notifications that come first are passed over).
 */
export const rpcOverSocket = async (
  base: string,
  token: string,
  method: string,
  params: unknown,
): Promise<any> => {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/rpc`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const answer = new Promise<any>((r) =>
    ws.on('message', (m) => {
      const msg = JSON.parse(String(m));
      if (msg.id === 1) r(msg);
    }),
  );
  ws.send(JSON.stringify({ id: 1, method, params }));
  try {
    return await answer;
  } finally {
    ws.close();
  }
};
