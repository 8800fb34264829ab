/**
 * How the router executes a subscription across subgraphs, against two small subgraphs of this
 * test's own (real HTTP and graphql-ws servers): `ticks` serves `Subscription.ticks` of the entity
 * `Tick`, `labels` adds `Tick.label`. What goes upstream, a failing entity fetch, a slow reader,
 * a subgraph that goes away and a supergraph reload. Each client's socket is a recording stand-in
 * for ws's and its TCP connection's, so a test can make it a client that stopped reading.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ContextTokens, type CatalogBrand, LiveQueue, createLogger } from '@rgb/kit';
import { execute, type FormattedExecutionResult, type GraphQLSchema, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ClientStream, LiveClient } from '../src/live-client';
import { type ClientContext, scopeOf, SharedSubscriptions } from '../src/shared-subscriptions';
import { composeSupergraph } from '../src/supergraph';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const TICKS_SDL = `${LINK}
type Query { tickCount: Int! }
type Subscription { ticks: Tick! }
type Tick @key(fields: "id") { id: ID! seq: Int! }`;
const LABELS_SDL = `${LINK}
type Query { labelCount: Int! }
type Tick @key(fields: "id") { id: ID! label: String }`;

interface Tick {
  id: string;
  seq: number;
}

/** A subgraph over HTTP (POST /graphql) and graphql-ws on one port, recording what it was asked. */
async function serveSubgraph(schema: GraphQLSchema) {
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', async () => {
      const { query, variables } = JSON.parse(body) as { query: string; variables?: Record<string, unknown> };
      const result = await execute({ schema, document: parse(query), variableValues: variables });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const seen = { queries: [] as string[], connectionParams: [] as Record<string, unknown>[] };
  useServer(
    {
      schema,
      onConnect: (ctx) => {
        seen.connectionParams.push(ctx.connectionParams ?? {});
      },
      onSubscribe: (_ctx, _id, payload) => {
        seen.queries.push(payload.query);
      },
    },
    sockets,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen,
    /** Drops every connection at once, as a subgraph that crashed. */
    async kill() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const contextTokens = new ContextTokens('router-test-internal-secret-0123456789', 'router');
const brand: CatalogBrand = { id: '0193d3c0-0000-7000-8000-000000000001', code: 'demo', currency: 'USD', timezone: 'UTC', status: 'ACTIVE', domains: [], name: 'Demo' };
const caller = { kind: 'staff' as const, id: '0193d3c0-0000-7000-8000-0000000000aa', brandId: brand.id, sessionId: '0193d3c0-0000-7000-8000-0000000000bb' };

let ticks: LiveQueue<Tick> | undefined;
/** Subscriptions the ticks subgraph started. */
let started = 0;
const failingLabels = new Set<string>();
let ticksSubgraph: Awaited<ReturnType<typeof serveSubgraph>>;
let labelsSubgraph: Awaited<ReturnType<typeof serveSubgraph>>;
let supergraphSdl: string;
let shared: SharedSubscriptions;
let registry: Registry;

beforeAll(async () => {
  ticksSubgraph = await serveSubgraph(
    buildSubgraphSchema({
      typeDefs: parse(TICKS_SDL),
      resolvers: {
        Query: { tickCount: () => 0 },
        Subscription: {
          ticks: {
            subscribe: () => {
              started++;
              ticks = new LiveQueue<Tick>(100);
              return ticks;
            },
            resolve: (tick: Tick) => tick,
          },
        },
      } as never,
    }),
  );
  labelsSubgraph = await serveSubgraph(
    buildSubgraphSchema({
      typeDefs: parse(LABELS_SDL),
      resolvers: {
        Query: { labelCount: () => 0 },
        Tick: {
          __resolveReference: ({ id }: { id: string }) => {
            if (failingLabels.has(id)) throw new Error('the label store is down');
            return { id, label: `label-${id}` };
          },
        },
      } as never,
    }),
  );
  supergraphSdl = composeSupergraph([
    { name: 'ticks', url: ticksSubgraph.url, sdl: TICKS_SDL },
    { name: 'labels', url: labelsSubgraph.url, sdl: LABELS_SDL },
  ]);
});
afterAll(async () => {
  await labelsSubgraph?.kill();
  await ticksSubgraph?.kill().catch(() => {});
});
beforeEach(() => {
  registry = new Registry();
  shared = new SharedSubscriptions({ supergraphSdl, contextTokens, registry, log: createLogger('router-test', 'silent'), fetchTimeoutMs: 1_000 });
});
afterEach(() => shared.close());

/**
 * A client's websocket and TCP connection as the fan-out sees them: what it was sent, in order.
 * `stall()` makes it a client that stopped reading (its connection past its high-water mark),
 * `drain()` one that has read everything since.
 */
class RecordingSocket extends EventEmitter implements Pick<ClientStream, 'socket' | 'transport'> {
  readonly socket = { readyState: 1, send: (data: string) => void this.sent.push(JSON.parse(data)) };
  readonly transport = this;
  readonly sent: { id: string; type: string; payload: FormattedExecutionResult }[] = [];
  writableNeedDrain = false;

  stall(): void {
    this.writableNeedDrain = true;
  }

  drain(): void {
    this.writableNeedDrain = false;
    this.emit('drain');
  }
}

/** One client of the shared subscriptions, reading what its socket was sent. */
class Client {
  private read = 0;

  constructor(
    readonly id: string,
    readonly socket: RecordingSocket,
    readonly live: LiveClient,
  ) {}

  /** The next result the client was sent: a graphql-ws `next` message under its own id. */
  async next(): Promise<FormattedExecutionResult> {
    await expect.poll(() => this.socket.sent.length).toBeGreaterThan(this.read);
    const message = this.socket.sent[this.read++]!;
    expect(message).toMatchObject({ id: this.id, type: 'next' });
    return message.payload;
  }
}

/** A new subscription, once its upstream subscription started. */
async function subscribeAnew() {
  const before = started;
  const client = await join();
  await expect.poll(() => started).toBe(before + 1);
  return client;
}

let joined = 0;
async function join(query = 'subscription { ticks { seq label } }') {
  const forwarded = { brand: { id: brand.id, code: brand.code, currency: brand.currency }, caller };
  const socket = new RecordingSocket();
  const id = `client-${++joined}`;
  const contextValue: ClientContext = {
    requestId: 'test',
    brand,
    caller,
    forwarded,
    contextToken: await contextTokens.sign(forwarded),
    scope: scopeOf(brand, caller),
    log: createLogger('router-test', 'silent'),
    client: { socket: socket.socket, transport: socket.transport, id },
  };
  return new Client(id, socket, shared.join({ schema: shared.schema, document: parse(query), contextValue }));
}

/** Ticks from the latest upstream subscription. */
function emit(...sent: Tick[]) {
  for (const tick of sent) ticks!.push(tick);
}

describe('subscriptions across subgraphs', () => {
  it('asks the owning subgraph for the key fields and __typename, with the router\'s signed context, and fetches the other subgraph\'s fields per event', async () => {
    const client = await subscribeAnew();
    emit({ id: 'a', seq: 1 });
    expect(await client.next()).toEqual({ data: { ticks: { seq: 1, label: 'label-a' } } });
    emit({ id: 'b', seq: 2 });
    expect(await client.next()).toEqual({ data: { ticks: { seq: 2, label: 'label-b' } } });

    const upstream = ticksSubgraph.seen.queries.at(-1)!;
    expect(upstream).toMatch(/\bid\b/);
    expect(upstream).toContain('__typename');
    expect(upstream).not.toContain('label');
    const forwarded = await contextTokens.verify(ticksSubgraph.seen.connectionParams.at(-1)?.['x-rgb-context'] as string);
    expect(forwarded).toMatchObject({ brand: { id: brand.id }, caller: { kind: 'staff' } });

    await client.live.return();
    // The last reader gone, the upstream subscription ends: the subgraph stops its source.
    await expect.poll(() => ticks!.done).toBe(true);
  });

  it('gives a failing entity fetch partial data and an error at its field, and the stream goes on', async () => {
    const client = await subscribeAnew();
    failingLabels.add('broken');
    emit({ id: 'broken', seq: 1 }, { id: 'fine', seq: 2 });
    const partial = await client.next();
    expect(partial.data).toEqual({ ticks: { seq: 1, label: null } });
    expect(partial.errors).toEqual([expect.objectContaining({ path: ['ticks', 'label'] })]);
    expect(await client.next()).toEqual({ data: { ticks: { seq: 2, label: 'label-fine' } } });
    await client.live.return();
  });

  it('shares one upstream subscription among identical ones, each result written once to each client; a slow client keeps only its latest, sent once it caught up', async () => {
    const opened = async () => (await shared.upstreamsOpened.get()).values.reduce((sum, { value }) => sum + value, 0);
    const fast = await subscribeAnew();
    const slow = await join();
    emit({ id: 't0', seq: 0 });
    expect((await fast.next()).data).toEqual({ ticks: { seq: 0, label: 'label-t0' } });
    expect((await slow.next()).data).toEqual({ ticks: { seq: 0, label: 'label-t0' } });
    // The slow client stops reading: its connection fills past its high-water mark.
    slow.socket.stall();
    for (let index = 1; index < 10; index++) {
      emit({ id: `t${index}`, seq: index });
      expect((await fast.next()).data?.ticks).toMatchObject({ seq: index });
    }
    expect(await opened()).toBe(1);
    // Meanwhile it was sent nothing: each result replaced the one it held.
    expect(slow.socket.sent).toHaveLength(1);
    expect(slow.live.dropped).toBe(8);
    // Drained, it gets the latest at once.
    slow.socket.drain();
    expect((await slow.next()).data?.ticks).toMatchObject({ seq: 9 });
    expect(slow.socket.sent).toHaveLength(2);
    // Caught up, it gets each result again.
    emit({ id: 't10', seq: 10 });
    expect((await slow.next()).data?.ticks).toMatchObject({ seq: 10 });
    expect((await fast.next()).data?.ticks).toMatchObject({ seq: 10 });
    expect(fast.socket.sent).toHaveLength(11);
    expect(fast.live.dropped).toBe(0);
    // A client joining the running subscription starts from its latest result.
    const late = await join();
    expect((await late.next()).data?.ticks).toMatchObject({ seq: 10 });
    expect(await opened()).toBe(1);
    for (const client of [fast, slow, late]) await client.live.return();
  });

  it('ends a slow client\'s subscription with the error that ends it, in place of the result it held', async () => {
    const slow = await subscribeAnew();
    const fast = await join();
    emit({ id: 's0', seq: 0 });
    await slow.next();
    slow.socket.stall();
    emit({ id: 's1', seq: 1 });
    // Every client is written in the same pass: once the fast one has it, the slow one holds it.
    expect((await fast.next()).data?.ticks).toMatchObject({ seq: 0 });
    expect((await fast.next()).data?.ticks).toMatchObject({ seq: 1 });
    await shared.reload(supergraphSdl);
    expect(await slow.next()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'SUPERGRAPH_RELOADED' } })] });
    expect(slow.socket.sent).toHaveLength(2);
    expect(slow.live.dropped).toBe(1);
    expect(await slow.live.next()).toEqual({ done: true, value: undefined });
  });

  it('writes a result to many clients in turns of the event loop, so other work is not held up by the whole fan-out', async () => {
    const clients = [await subscribeAnew()];
    for (let index = 1; index < 1_000; index++) clients.push(await join());
    // What other work (a request arriving mid-fan-out) would see: how far the fan-out had got when it first ran.
    let reachedWhenOtherWorkRan = -1;
    const sentSoFar = () => clients.filter((client) => client.socket.sent.length > 0).length;
    const firstSend = clients[0]!.socket.socket.send;
    clients[0]!.socket.socket.send = (data: string) => {
      setImmediate(() => (reachedWhenOtherWorkRan = sentSoFar()));
      firstSend(data);
    };
    emit({ id: 'f', seq: 1 });
    await expect.poll(sentSoFar).toBe(1_000);
    expect(reachedWhenOtherWorkRan).toBeGreaterThan(0);
    expect(reachedWhenOtherWorkRan).toBeLessThan(1_000);
    for (const client of clients) expect(client.socket.sent.map((message) => message.payload)).toEqual([{ data: { ticks: { seq: 1, label: 'label-f' } } }]);
    for (const client of clients) await client.live.return();
  });

  it('completes every subscription with a clear code when the supergraph is reloaded', async () => {
    const client = await subscribeAnew();
    emit({ id: 'r', seq: 1 });
    await client.next();
    await shared.reload(supergraphSdl);
    expect(await client.next()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'SUPERGRAPH_RELOADED' } })] });
    // Then graphql-ws completes it: its iterator ends.
    expect(await client.live.next()).toEqual({ done: true, value: undefined });
  });

  it('ends the subscription with SERVICE_UNAVAILABLE when its subgraph goes away, never leaving the reader waiting', async () => {
    const client = await subscribeAnew();
    emit({ id: 'x', seq: 1 });
    await client.next();
    await ticksSubgraph.kill();
    expect(await client.next()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE' } })] });
    expect(await client.live.next()).toEqual({ done: true, value: undefined });
  });
});
