import { randomUUID } from 'node:crypto';
import { type CollectedSpan, startOtlpCollector, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedPlayer, sendSignedCallback } from './support/callbacks';
import { bootPlatform, type TestPlatform } from './support/platform';

/**
 * Tracing with every service in a process of its own, as `npm start` runs them: each exports
 * OTLP (JSON over HTTP) to a collector this test stands in for, under its own service.name.
 */

/** OTLP's span kinds (not the API's enum). */
const SERVER = 2;
const CONSUMER = 5;
const SECRET = 'e2e-tracing-provider-secret';
const RGS_KEY = 'e2e-tracing-rgs-operator-key';

let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
let platform: TestPlatform;

beforeAll(async () => {
  collector = await startOtlpCollector();
  // Each process loads the OpenTelemetry exporter as it starts: all of them booting at once on a
  // two-core machine take longer than the launcher's default minute.
  platform = await bootPlatform(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      PROVIDER_DEMO_SECRET: SECRET,
      RGS_OPERATOR_KEY: RGS_KEY,
    },
    { startTimeoutMs: 180_000 },
  );
}, 240_000);
afterAll(async () => {
  await platform?.stop();
  await collector?.close();
});

const pathOf = (span: CollectedSpan) => String(span.attributes['url.path'] ?? span.attributes['http.target']);
const serverSpan = (service: string, path: string) =>
  waitFor(`${service} span of ${path}`, () => collector.spans.find((span) => span.service === service && span.kind === SERVER && pathOf(span).startsWith(path)), 30_000);
const parentOf = (span: CollectedSpan) => collector.spans.find((candidate) => candidate.spanId === span.parentSpanId && candidate.traceId === span.traceId);
/** The spans above `span`, nearest first, as far as the collector has them. */
function ancestorsOf(span: CollectedSpan): CollectedSpan[] {
  const chain: CollectedSpan[] = [];
  for (let parent = parentOf(span); parent; parent = parentOf(parent)) chain.push(parent);
  return chain;
}

describe('tracing across processes', () => {
  it("a registration's PLAYER_REGISTERED is consumed by admin_worker in the registering request's trace", async () => {
    await platform.register('trace_e2e');
    const router = await serverSpan('router', '/graphql');
    const consumed = await waitFor(
      'the admin_worker consumer span',
      () => collector.spans.find((span) => span.service === 'admin_worker' && span.kind === CONSUMER && span.attributes['rgb.event_type'] === 'PLAYER_REGISTERED'),
      30_000,
    );
    expect(consumed.traceId).toBe(router.traceId);
    // Each process exports on its own schedule: the producing span may reach the collector after the consumer's.
    const producer = await waitFor("the consumer span's parent", () => parentOf(consumed), 30_000);
    expect(producer.service).toBe('player');
  }, 60_000);

  it('a signed provider callback is one trace: router, game, wallet, each under the hop before it', async () => {
    const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), account: 'demo_trace_e2e', currency: 'USD' });
    const answer = await sendSignedCallback(platform, 'balance', raw, SECRET);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'OK' });
    const wallet = await serverSpan('wallet', '/internal/wallet/balance');
    const game = await serverSpan('game', '/callbacks/demo/balance');
    const router = await serverSpan('router', '/callbacks/demo/balance');
    expect(new Set([router.traceId, game.traceId, wallet.traceId]).size).toBe(1);
    // Each hop's server span hangs under a span of the process that called it.
    expect(parentOf(game)?.service).toBe('router');
    expect(parentOf(wallet)?.service).toBe('game');
  }, 60_000);

  it("a bet at the RGS is one trace: the RGS's request, a span per callback, and under each the router, game and wallet", async () => {
    const { account } = await fundedPlayer(platform, 'trace_rgs');
    const rgs = platform.serviceUrl('rgs');
    const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${rgs}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-operator-key': RGS_KEY, ...headers },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, any>;
    };
    const { session_token } = await call('/sessions/launch', { player_id: account, currency: 'USD', game_code: 'rgs-dice' });
    const bet = await call('/bets', { session_token, amount: '1.00', pick: 3 }, { 'idempotency-key': 'trace-rgs-1' });
    expect(bet).toMatchObject({ status: 'SETTLED' });

    const request = await serverSpan('rgs', '/bets');
    for (const action of ['bet', 'win']) {
      const callback = await waitFor(
        `the RGS span of its ${action} callback`,
        () => collector.spans.find((span) => span.service === 'rgs' && span.name === `rgs.callback ${action}` && span.traceId === request.traceId),
        30_000,
      );
      expect(callback.attributes).toMatchObject({ 'rgs.action': action, 'rgs.outcome': 'ok', 'rgs.transaction_id': action === 'bet' ? bet.bet_id : `${bet.bet_id}:win` });
      expect(ancestorsOf(callback)).toContainEqual(request);
      const router = await serverSpan('router', `/callbacks/rgs/${action}`);
      const game = await serverSpan('game', `/callbacks/rgs/${action}`);
      expect([router.traceId, game.traceId]).toEqual([request.traceId, request.traceId]);
      // The router's span hangs under the RGS's HTTP call, itself under the callback's span.
      expect(ancestorsOf(router)).toContainEqual(callback);
      expect(parentOf(router)?.service).toBe('rgs');
      expect(parentOf(game)?.service).toBe('router');
      const wallet = await waitFor(
        `the wallet's span under the game's ${action}`,
        () => collector.spans.find((span) => span.service === 'wallet' && span.kind === SERVER && span.traceId === request.traceId && ancestorsOf(span).includes(game)),
        30_000,
      );
      expect(parentOf(wallet)?.service).toBe('game');
    }
  }, 60_000);
});
