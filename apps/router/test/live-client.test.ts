/**
 * A client's subscriptions on a real websocket whose reader stops reading: while its TCP
 * connection is past its high-water mark each keeps only its latest result, and when the reader
 * reads again each gets that one, in order after what was already on its way.
 */
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { connectionTransport, LiveClient } from '../src/live-client';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server-side websocket, its TCP connection, and the client reading it (paused at first). */
async function connection() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<{ socket: WebSocket; transport: Socket }>((resolve) =>
    server.once('connection', (socket, request) => resolve({ socket, transport: request.socket })),
  );
  const reader = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  reader.on('message', (data: Buffer) => received.push(data.toString()));
  await new Promise((resolve) => reader.once('open', resolve));
  // The reader stops reading (its TCP socket, which ws keeps private): what the server sends piles up in the kernel, then in Node.
  const readerSocket = (reader as unknown as { _socket: Socket })._socket;
  readerSocket.pause();
  return { ...(await accepted), received, resume: () => readerSocket.resume() };
}

it('holds only the latest result of each subscription while the connection needs draining, and sends it once it drained', async () => {
  const { socket, transport, received, resume } = await connection();
  const shared = connectionTransport(transport);
  const clients = Array.from({ length: 20 }, (_, index) => new LiveClient({ socket, transport: shared, id: `s${index}` }, () => {}));
  // Fill the connection as a stream of results would, through the first subscription.
  const filler = JSON.stringify({ data: { filler: 'x'.repeat(300) } });
  let sent = 0;
  while (!transport.writableNeedDrain) {
    clients[0]!.deliver(filler);
    sent++;
  }
  for (let seq = 1; seq <= 5; seq++) for (const client of clients) client.deliver(JSON.stringify({ data: { seq } }));
  for (const client of clients) expect(client.dropped).toBe(4);
  // One listener on the connection, however many subscriptions wait for it.
  expect(transport.listenerCount('drain')).toBe(1);

  resume();
  await expect.poll(() => received.length, { timeout: 10_000 }).toBe(sent + clients.length);
  const latest = received.slice(sent).map((text) => JSON.parse(text) as { id: string; type: string; payload: unknown });
  expect(latest).toEqual(clients.map((_, index) => ({ id: `s${index}`, type: 'next', payload: { data: { seq: 5 } } })));
  // Caught up: each result goes at once again.
  clients[3]!.deliver(JSON.stringify({ data: { seq: 6 } }));
  await expect.poll(() => received.at(-1)).toBe('{"id":"s3","type":"next","payload":{"data":{"seq":6}}}');
});
