import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSignedCallback } from './support/callbacks';
import { bootPlatform, type TestPlatform } from './support/platform';

/**
 * Tracing with every service in a process of its own, as `npm start` runs them: each exports
 * OTLP (JSON over HTTP) to a collector this test stands in for, under its own service.name.
 */
interface Span {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: (Omit<Span, 'service' | 'attributes'> & { attributes: { key: string; value: OtlpValue }[] })[] }[];
  }[];
}

/** OTLP's span kinds (not the API's enum). */
const SERVER = 2;
const CONSUMER = 5;
const SECRET = 'e2e-tracing-provider-secret';

const spans: Span[] = [];
let collector: Server;
let platform: TestPlatform;

const plain = (value: OtlpValue) => value.stringValue ?? value.intValue;
const attributesOf = (list: { key: string; value: OtlpValue }[]) => Object.fromEntries(list.map(({ key, value }) => [key, plain(value)]));

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        for (const batch of (JSON.parse(body) as OtlpExport).resourceSpans) {
          const service = String(attributesOf(batch.resource.attributes)['service.name']);
          for (const scope of batch.scopeSpans) for (const span of scope.spans) spans.push({ ...span, service, attributes: attributesOf(span.attributes) });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  platform = await bootPlatform({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    PROVIDER_DEMO_SECRET: SECRET,
  });
});
afterAll(async () => {
  await platform?.stop();
  await new Promise<void>((resolve) => (collector ? collector.close(() => resolve()) : resolve()));
});

const pathOf = (span: Span) => String(span.attributes['url.path'] ?? span.attributes['http.target']);
const serverSpan = (service: string, path: string) =>
  waitFor(`${service} span of ${path}`, () => spans.find((span) => span.service === service && span.kind === SERVER && pathOf(span).startsWith(path)), 30_000);
const parentOf = (span: Span) => spans.find((candidate) => candidate.spanId === span.parentSpanId && candidate.traceId === span.traceId);

describe('tracing across processes', () => {
  it("a registration's PLAYER_REGISTERED is consumed by admin_worker in the registering request's trace", async () => {
    await platform.register('trace_e2e');
    const router = await serverSpan('router', '/graphql');
    const consumed = await waitFor(
      'the admin_worker consumer span',
      () => spans.find((span) => span.service === 'admin_worker' && span.kind === CONSUMER && span.attributes['rgb.event_type'] === 'PLAYER_REGISTERED'),
      30_000,
    );
    expect(consumed.traceId).toBe(router.traceId);
    expect(parentOf(consumed)?.service).toBe('player');
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
