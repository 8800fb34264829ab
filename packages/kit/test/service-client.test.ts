/**
 * ServiceClient and serveRoute against real HTTP servers: one contract route (walletRoutes.bet)
 * served and called, refusals typed, answers the contract refuses thrown, the caller's request id
 * and traceparent forwarded, one service token reused, and the connect and response timeouts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { TokenService } from '@rgb/auth';
import { type BetCall, DomainError, ErrorCode, walletRoutes } from '@rgb/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { internalErrorHandler, serveRoute } from '../src/internal-routes';
import { ServiceCallError, ServiceClient } from '../src/service-client';

const tokens = new TokenService({ secret: 'service-client-test-secret-of-32-chars!' });
const brand = { id: randomUUID(), code: 'demo', currency: 'USD' };
const bet = (overrides: Partial<BetCall> = {}): BetCall => ({
  brand,
  playerId: randomUUID(),
  providerCode: 'demo',
  transactionId: `tx-${randomUUID()}`,
  roundId: 'round-1',
  gameCode: 'demo-slot',
  gameCategory: 'slots',
  amount: 150n,
  ...overrides,
});

const clients: ServiceClient[] = [];
const clientOf = (baseUrl: string, options: { connectTimeoutMs?: number; responseTimeoutMs?: number } = {}) => {
  const client = new ServiceClient({ baseUrl, tokens, serviceName: 'kit-test', ...options });
  clients.push(client);
  return client;
};
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

describe('a contract route served with serveRoute and called with ServiceClient', () => {
  let app: FastifyInstance;
  let url: string;
  const received: { call: BetCall; authorization: string | undefined; requestId: string; traceparent: string | undefined }[] = [];
  beforeAll(async () => {
    // The request id from the caller's x-request-id, as every service's http-app takes it.
    app = Fastify({ genReqId: (request) => String(request.headers['x-request-id'] ?? 'none') });
    app.setErrorHandler(internalErrorHandler);
    serveRoute(app, walletRoutes.bet, async (call, request) => {
      received.push({ call, authorization: request.headers.authorization, requestId: request.id, traceparent: request.headers.traceparent as string | undefined });
      if (call.transactionId === 'short') throw new DomainError(ErrorCode.INSUFFICIENT_FUNDS, 'insufficient funds', { balance: '1.00' });
      if (call.transactionId === 'uncontracted') throw new DomainError(ErrorCode.CONFLICT, 'a refusal the bet route does not name');
      return { balance: '8.50', balance_minor: '850', currency: call.brand.currency, duplicate: false };
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app?.close());

  it('sends the call in its wire form, which the route parses back into the same call, and parses the answer', async () => {
    const call = bet({ repeatOnly: true });
    const result = await clientOf(url).call(walletRoutes.bet, call);
    expect(result).toEqual({ ok: true, value: { balance: '8.50', balance_minor: '850', currency: 'USD', duplicate: false } });
    expect(received.at(-1)?.call).toEqual(call);
  });

  it('refuses a body its schema refuses with 400 BAD_USER_INPUT, naming the field', async () => {
    const { amount_minor: _, ...wire } = walletRoutes.bet.toWire(bet());
    const response = await fetch(`${url}/internal/wallet/bets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...wire, amount_minor: 150 }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'BAD_USER_INPUT', message: expect.stringContaining('amount_minor') } });
  });

  it('answers a refusal its contract names with its status and details, which the client returns typed', async () => {
    const result = await clientOf(url).call(walletRoutes.bet, bet({ transactionId: 'short' }));
    expect(result).toEqual({ ok: false, status: 422, refusal: { code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds', balance: '1.00' } });
  });

  it('turns a refusal the contract does not name into a fault, which the client throws with the route', async () => {
    await expect(clientOf(url).call(walletRoutes.bet, bet({ transactionId: 'uncontracted' }))).rejects.toThrow(/^POST \/internal\/wallet\/bets answered 500/);
  });

  it("forwards the caller's request id and traceparent, and reuses one service token", async () => {
    const client = clientOf(url);
    const traceparent = `00-${randomUUID().replaceAll('-', '')}-${'ab'.repeat(8)}-01`;
    await client.call(walletRoutes.bet, bet(), { requestId: 'req-forwarded-1', traceparent });
    await client.call(walletRoutes.bet, bet(), { requestId: 'req-forwarded-2' });
    const [first, second] = received.slice(-2);
    expect(first).toMatchObject({ requestId: 'req-forwarded-1', traceparent });
    expect(second).toMatchObject({ requestId: 'req-forwarded-2', traceparent: undefined });
    expect(second!.authorization).toBe(first!.authorization);
    const token = first!.authorization!.replace(/^Bearer /, '');
    await expect(tokens.verify(token, ['service'])).resolves.toMatchObject({ subject: 'kit-test' });
  });
});

describe('ServiceClient given an answer outside the contract', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
    url = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ['a 200 whose body the response schema refuses', 200, JSON.stringify({ balance: 8.5, currency: 'USD', duplicate: false }), /answered a body its contract refuses: balance: /],
    ['a refusal with a code the route does not name', 409, JSON.stringify({ error: { code: 'CONFLICT', message: 'no' } }), /answered 409: /],
    ['a refusal under another status than its code', 400, JSON.stringify({ error: { code: 'INSUFFICIENT_FUNDS', message: 'no' } }), /answered 400: /],
    ['a body that is not JSON', 200, '<html>', /answered 200 with a body that is not JSON/],
    ['a 5xx', 503, JSON.stringify({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'down' } }), /answered 503: /],
  ])('throws on %s, naming the route', async (_case, status, body, message) => {
    answer = { status, body };
    const call = clientOf(url).call(walletRoutes.bet, bet());
    await expect(call).rejects.toBeInstanceOf(ServiceCallError);
    await expect(call).rejects.toThrow(/^POST \/internal\/wallet\/bets /);
    await expect(call).rejects.toThrow(message);
  });
});

describe('ServiceClient timeouts', () => {
  it('gives up on a server that takes the request and never answers after the response timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined).on('connection', (socket) => sockets.add(socket));
    const url = await listen(silent);
    try {
      const call = clientOf(url, { responseTimeoutMs: 300 }).call(walletRoutes.bet, bet());
      await expect(call).rejects.toThrow(/^POST \/internal\/wallet\/bets failed: Headers Timeout Error/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('gives up connecting to an address that never completes a connection after the connect timeout', async () => {
    const blackhole = await startBlackhole();
    try {
      const call = clientOf(`http://127.0.0.1:${blackhole.port}`, { connectTimeoutMs: 300 }).call(walletRoutes.bet, bet());
      await expect(call).rejects.toThrow(/^POST \/internal\/wallet\/bets failed: Connect Timeout Error .*timeout: 300ms/);
    } finally {
      await blackhole.close();
    }
  });
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/**
 * A port whose connections never complete: a listener with a backlog of one on a thread that
 * never accepts, its queue filled, so the kernel drops every further SYN.
 */
async function startBlackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       // Blocks this thread's event loop, so the listener never accepts, until released.
       setTimeout(() => Atomics.wait(workerData, 0, 0), 20);
     });`,
    { eval: true, workerData: release },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  // Fill the accept queue: these complete in the kernel, the next one does not.
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(port, '127.0.0.1');
    fillers.push(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  }
  return {
    port,
    async close() {
      for (const socket of fillers) socket.destroy();
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
      await worker.terminate();
    },
  };
}
