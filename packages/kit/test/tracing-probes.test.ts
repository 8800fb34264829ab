import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, expect, it } from 'vitest';
import { startTracing, stopTracing } from '../src/tracing';

// Tracing starts before what it instruments is imported: the app's modules come in below, dynamically.
const exporter = new InMemorySpanExporter();
await startTracing({ serviceName: 'test', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const { createHttpApp, createMetricsApp } = await import('../src/http-app');
const { createLogger } = await import('../src/logger');
const { Metrics } = await import('../src/metrics');

const log = createLogger('tracing-probes-test', 'silent');
const metrics = new Metrics('test');
const app = createHttpApp({ log, metrics, checks: {} });
app.get('/work', async () => ({ done: true }));
const metricsApp = createMetricsApp(metrics, log);
afterAll(async () => {
  await app.close();
  await metricsApp.close();
  await stopTracing();
});

it('traces requests that are work, not the probes (Kubernetes asks /live and /ready every 10 s) nor metric scrapes', async () => {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const metricsUrl = await metricsApp.listen({ port: 0, host: '127.0.0.1' });
  for (const path of ['/health', '/ready', '/live']) expect((await fetch(`${url}${path}`)).status).toBe(200);
  expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(200);
  expect((await fetch(`${url}/work`)).status).toBe(200);
  await expect.poll(() => exporter.getFinishedSpans().some((span) => String(span.attributes['url.path']) === '/work')).toBe(true);
  // The test's own fetches are client spans; what the app made is the rest.
  const served = exporter.getFinishedSpans().filter((span) => span.kind !== SpanKind.CLIENT);
  const paths = served.map((span) => span.attributes['url.path'] ?? span.attributes['http.target'] ?? span.attributes['http.route']);
  expect(paths.filter((path) => path !== undefined && path !== '/work')).toEqual([]);
});
