/**
 * The floor bench:topinfo compares the router with: a process that does nothing but hold
 * websockets and write one update to each of them. It speaks just enough graphql-transport-ws
 * for the benchmark's subscribers (ack, then a `next` per update) and writes, when its parent
 * sends `{ pendingDepositCount }`, the same message to every subscribed socket, serialized
 * once, with `updatedAt` the moment it starts writing: what the router's fan-out costs at the
 * least on this machine, its kernel writes included.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

const subscribed = new Set<WebSocket>();
let pendingDepositCount = 0;

const update = () =>
  JSON.stringify({
    id: '1',
    type: 'next',
    payload: { data: { topInfo: { pendingDepositCount, pendingDepositAmount: '0.00', pendingWithdrawalCount: 0, newPlayersToday: 0, updatedAt: new Date().toISOString() } } },
  });

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('message', (data: Buffer) => {
    const { type } = JSON.parse(data.toString()) as { type: string };
    if (type === 'connection_init') socket.send('{"type":"connection_ack"}');
    if (type === 'subscribe') {
      subscribed.add(socket);
      socket.send(update());
    }
  });
  socket.on('close', () => subscribed.delete(socket));
});
server.on('listening', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (message: { pendingDepositCount: number }) => {
  pendingDepositCount = message.pendingDepositCount;
  const text = update();
  for (const socket of subscribed) socket.send(text);
});
process.on('disconnect', () => server.close(() => process.exit(0)));
