import { randomUUID } from 'node:crypto';
import { type CollectedSpan, startOtlpCollector, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSignedCallback } from './support/callbacks';
import { bootPlatform, type TestPlatform } from './support/platform';

/**
 * Tracing with every service in a process of its own, as `npm start` runs them: each exports
 * OTLP (JSON over HTTP) to a collector this test stands in for, under its own service.name.
 */

/** OTLP's span kinds (not the API's enum). */
const SERVER = 2;
const CONSUMER = 5;
const SECRET = 'e2e-tracing-provider-secret';

let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
let platform: TestPlatform;

beforeAll(async () => {
  collector = await startOtlpCollector();
  platform = await bootPlatform({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    PROVIDER_DEMO_SECRET: SECRET,
  });
});
afterAll(async () => {
  await platform?.stop();
  await collector?.close();
});

const pathOf = (span: CollectedSpan) => String(span.attributes['url.path'] ?? span.attributes['http.target']);
const serverSpan = (service: string, path: string) =>
  waitFor(`${service} span of ${path}`, () => collector.spans.find((span) => span.service === service && span.kind === SERVER && pathOf(span).startsWith(path)), 30_000);
const parentOf = (span: CollectedSpan) => collector.spans.find((candidate) => candidate.spanId === span.parentSpanId && candidate.traceId === span.traceId);

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
});
