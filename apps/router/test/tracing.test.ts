import { createHmac, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { SERVICE_ATTRIBUTE, startTracing, stopTracing } from '@rgb/kit/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Tracing starts before anything it instruments is imported: the platform's modules come in below, dynamically.
const exporter = new InMemorySpanExporter();
await startTracing({ serviceName: 'rgb-platform', spanProcessors: [new SimpleSpanProcessor({ exporter })] });

const { RedisServer } = await import('../../../packages/events/test/redis-server');
const { adminSubgraph, adminWorker } = await import('@rgb/admin');
const { loadGameConfig, start: startGame } = await import('@rgb/game');
const { baseLocalDefaults, createLogger, loadConfig, loadWorkerConfig, startWorker } = await import('@rgb/kit');
const { freePort, startSeededTestSubgraph, startTestSubgraph, TEST_PROVIDER_SECRET, waitFor } = await import('@rgb/kit/testing');
const { playerSubgraph, playerWorker } = await import('@rgb/player');
const { loadWalletConfig, walletSubgraph } = await import('@rgb/wallet');
const { routerEnv } = await import('../src/config');
const { createRouter } = await import('../src/server');

/**
 * Router, admin, player, wallet and game, the player's outbox publisher and the admin_worker
 * consumer, all in this process on one SDK (as the single-process mode runs them), on a Redis
 * of the test's own so no other consumer reads its stream.
 */
let redisServer: InstanceType<typeof RedisServer>;
const closers: (() => Promise<void>)[] = [];
let routerUrl: string;
/** What the router logged, one parsed pino line each. */
const routerLines: Record<string, unknown>[] = [];


beforeAll(async () => {
  redisServer = new RedisServer(await freePort());
  await redisServer.start();
  closers.push(() => redisServer.stop());
  const REDIS_URL = redisServer.url;
  const admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL } });
  closers.push(() => admin.close());
  const databaseUrl = admin.database.url;
  const player = await startTestSubgraph(playerSubgraph, databaseUrl, { REDIS_URL });
  closers.push(() => player.close());
  const wallet = await startTestSubgraph(walletSubgraph(loadWalletConfig({ NODE_ENV: 'test', REDIS_URL, ADMIN_URL: admin.url })), databaseUrl, { REDIS_URL });
  closers.push(() => wallet.close());
  const base = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '2', REDIS_URL, PORT: '0', METRICS_PORT: '0' };
  const game = await startGame(loadGameConfig({ ...base, CALLBACK_PORT: '0', ADMIN_URL: admin.url, PLAYER_URL: player.url, WALLET_URL: wallet.url }));
  closers.push(() => game.close());
  for (const definition of [playerWorker, adminWorker]) {
    const worker = await startWorker(definition, loadWorkerConfig(0, base));
    closers.push(() => worker.close());
  }
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    PORT: '0',
    METRICS_PORT: '0',
    REDIS_URL,
    ADMIN_URL: admin.url,
    GAME_CALLBACK_URL: game.listenerUrls.callback!,
    SUBGRAPH_ADMIN_URL: `${admin.url}/graphql`,
    SUBGRAPH_PLAYER_URL: `${player.url}/graphql`,
    SUBGRAPH_WALLET_URL: `${wallet.url}/graphql`,
    SUBGRAPH_GAME_URL: `${game.url}/graphql`,
    AUTH_JWT_SECRET: baseLocalDefaults.AUTH_JWT_SECRET!,
    INTERNAL_JWT_SECRET: baseLocalDefaults.INTERNAL_JWT_SECRET!,
  };
  const log = createLogger('router', 'info', { write: (line: string) => void routerLines.push(JSON.parse(line)) });
  const router = await createRouter(loadConfig(routerEnv, { env }), env, log);
  closers.push(() => router.close());
  routerUrl = await router.listen();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await stopTracing();
});

const serviceOf = (span: ReadableSpan) => span.attributes[SERVICE_ATTRIBUTE];
const isServer = (service: string, path: string) => (span: ReadableSpan) =>
  span.kind === SpanKind.SERVER && serviceOf(span) === service && String(span.attributes['url.path'] ?? span.attributes['http.target']).startsWith(path);

/** The SERVER span of `service` for a request to `path` (waiting for it to end and be exported). */
const serverSpan = (service: string, path: string) => waitFor(`${service} span of ${path}`, () => exporter.getFinishedSpans().find(isServer(service, path)));

/** Walks up the parents of `span` among the exported spans; whether `ancestor` is among them. */
function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan): boolean {
  const byId = new Map(exporter.getFinishedSpans().map((candidate) => [candidate.spanContext().spanId, candidate]));
  for (let parentId = span.parentSpanContext?.spanId; parentId; parentId = byId.get(parentId)?.parentSpanContext?.spanId) {
    if (parentId === ancestor.spanContext().spanId) return true;
  }
  return false;
}

async function register(username: string): Promise<void> {
  const response = await fetch(`${routerUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
      variables: { input: { username, password: 'password-123', nickname: username } },
    }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
}

describe('one trace across the platform', () => {
  it('a signed provider callback is one trace: router, then the game callback listener, then the wallet it calls', async () => {
    await register('trace_cb');
    exporter.reset();
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), account: 'demo_trace_cb', currency: 'USD' });
    const response = await fetch(`${routerUrl}/callbacks/demo/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', TEST_PROVIDER_SECRET).update(raw).digest('hex') },
      body: raw,
    });
    expect(await response.json()).toMatchObject({ status: 'OK', balance: '0.00' });

    const router = await serverSpan('router', '/callbacks/demo/balance');
    const game = await serverSpan('game', '/callbacks/demo/balance');
    const wallet = await serverSpan('wallet', '/internal/wallet/balance');
    const traceId = router.spanContext().traceId;
    expect(game.spanContext().traceId).toBe(traceId);
    expect(wallet.spanContext().traceId).toBe(traceId);
    // Parent to child, hop by hop: the game's request under the router's, the wallet's under the game's.
    expect(descendsFrom(game, router)).toBe(true);
    expect(descendsFrom(wallet, game)).toBe(true);
    // The work inside each hop is in the trace and names its service (queries, Redis, calls out).
    const services = new Set(exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId).map(serviceOf));
    expect([...services]).toEqual(expect.arrayContaining(['router', 'game', 'wallet']));
    const walletQueries = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId && serviceOf(span) === 'wallet' && span.kind === SpanKind.CLIENT);
    expect(walletQueries.length).toBeGreaterThan(0);
  });

  it('a registration through the router is consumed by admin_worker in the same trace, and the router logs its trace_id', async () => {
    exporter.reset();
    await register('trace_reg');
    const router = await serverSpan('router', '/graphql');
    const traceId = router.spanContext().traceId;
    // The consumer span of this registration, found by its trace (the earlier test's registration
    // may be consumed after the reset): none would appear if the trace did not reach the consumer.
    const consumed = await waitFor('the PLAYER_REGISTERED consumer span in the request trace', () =>
      exporter
        .getFinishedSpans()
        .find((span) => span.kind === SpanKind.CONSUMER && span.attributes['rgb.event_type'] === 'PLAYER_REGISTERED' && span.spanContext().traceId === traceId),
    );
    expect(serviceOf(consumed)).toBe('admin_worker');
    // Its parent is the span of the player subgraph that wrote the event, inside the request.
    const writer = exporter.getFinishedSpans().find((span) => span.spanContext().spanId === consumed.parentSpanContext?.spanId);
    expect(writer && serviceOf(writer)).toBe('player');
    expect(descendsFrom(writer!, router)).toBe(true);
    // The handler's own database work is under the consumer span.
    expect(exporter.getFinishedSpans().some((span) => span.kind === SpanKind.CLIENT && descendsFrom(span, consumed))).toBe(true);
    // The player_worker's publishing of the event is in the trace too, under the same writer.
    const sent = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.PRODUCER && span.attributes['messaging.message.id'] === consumed.attributes['messaging.message.id']);
    expect(sent).toBeDefined();
    expect(sent!.parentSpanContext?.spanId).toBe(writer!.spanContext().spanId);
    expect(sent!.attributes).toMatchObject({ 'rgb.event_type': 'PLAYER_REGISTERED', 'messaging.destination.name': 'rgb:stream:player', 'rgb.service': 'player_worker' });

    const requestLine = routerLines.find((line) => line.msg === 'request' && line.url === '/graphql' && line.trace_id === traceId);
    expect(requestLine).toMatchObject({ service: 'router', status: 200, trace_id: traceId });
  });
});
