import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config';
import { createHttpApp } from '../src/http-app';
import { createLogger } from '../src/logger';
import { Metrics } from '../src/metrics';
import { startOtlpCollector } from '../src/testing';
import { activeTraceparent, childTraceparent, configuredExporters, startTracing, traceIdOf, tracingActive, tracingEnv } from '../src/tracing';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PROBE = fileURLToPath(new URL('./fixtures/tracing-probe.ts', import.meta.url));

/** Runs the probe as the launcher runs a service: node with tsx and the tracing register entry, with `env` only. */
async function runProbe(env: Record<string, string>): Promise<{ tracing: boolean; registered: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', '@rgb/kit/tracing-register', PROBE], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
beforeAll(async () => {
  collector = await startOtlpCollector();
});
afterAll(() => collector?.close());

describe('the tracing register entry (node --import @rgb/kit/tracing-register)', () => {
  it('with no OTEL variable set starts no SDK: nothing of OpenTelemetry is registered', async () => {
    expect(await runProbe({})).toEqual({ tracing: false, registered: [] });
  }, 120_000);

  it('with an OTLP endpoint exports the spans of an ESM-imported ioredis, under the span that was active', async () => {
    collector.spans.length = 0;
    const probe = await runProbe({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'probe' });
    expect(probe.tracing).toBe(true);
    expect(probe.registered).toEqual(expect.arrayContaining(['trace', 'context', 'propagation']));
    expect(collector.spans.map((span) => span.service)).toContain('probe');
    const parent = collector.spans.find((span) => span.name === 'probe');
    const command = collector.spans.find((span) => span.scope === '@opentelemetry/instrumentation-ioredis');
    expect(command).toMatchObject({ name: 'get', traceId: parent?.traceId, parentSpanId: parent?.spanId });
  }, 120_000);
});

describe('tracing in this process', () => {
  it('stays off without an exporter, and then no span context is active', async () => {
    expect(await startTracing({ serviceName: 'test', env: {} })).toBe(false);
    expect(await startTracing({ serviceName: 'test', env: { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } })).toBe(false);
    expect(tracingActive()).toBe(false);
    expect(activeTraceparent()).toBeUndefined();
  });

  it('is asked for by OTEL_TRACES_EXPORTER, or an OTLP endpoint alone, unless OTEL_SDK_DISABLED', () => {
    const exporters = (env: Record<string, string>) => configuredExporters(tracingEnv.parse(env));
    expect(exporters({})).toEqual([]);
    expect(exporters({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' })).toEqual([]);
    expect(exporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(exporters({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual(['otlp']);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'console, otlp,console' })).toEqual(['console', 'otlp']);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(exporters({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toEqual([]);
  });

  it('refuses a malformed configuration listing every problem', async () => {
    const failure = await startTracing({ serviceName: 'test', env: { OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/OTEL_TRACES_EXPORTER: must be a comma-separated list of otlp, console, none/);
    expect((failure as Error).message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: /);
  });

  it('carries a trace by hand when off: a child traceparent keeps the trace id and flags, with a span id of its own', () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const child = childTraceparent(incoming);
    expect(traceIdOf(child)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(child).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-00$/);
    expect(traceIdOf(childTraceparent(undefined))).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf(childTraceparent('garbage'))).not.toBe(traceIdOf(childTraceparent('garbage')));
  });
});

describe('without the SDK, the trace context a request carries by hand', () => {
  const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  /** An app as createHttpApp builds it, answering with the request's traceparent, logging into `lines`. */
  function app(startsTraces: boolean, lines: Record<string, unknown>[]) {
    const log = createLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const built = createHttpApp({ log, metrics: new Metrics('test'), checks: {}, startsTraces });
    built.get('/work', async (request) => {
      request.log.info('working');
      return { traceparent: request.traceparent ?? null };
    });
    return built;
  }

  it("continues the caller's trace: every log line of the request carries its trace id", async () => {
    const lines: Record<string, unknown>[] = [];
    const answer = await app(false, lines).inject({ url: '/work', headers: { traceparent: CALLER } });
    expect(answer.json()).toEqual({ traceparent: CALLER });
    expect(lines.filter((line) => line.msg === 'working' || line.msg === 'request')).toEqual([
      expect.objectContaining({ msg: 'working', trace_id: '0af7651916cd43dd8448eb211c80319c' }),
      expect.objectContaining({ msg: 'request', trace_id: '0af7651916cd43dd8448eb211c80319c' }),
    ]);
  });

  it('carries none when the caller sent none (or a malformed one), unless the app is the edge, which starts one', async () => {
    const inner: Record<string, unknown>[] = [];
    expect((await app(false, inner).inject({ url: '/work', headers: { traceparent: 'not-a-traceparent' } })).json()).toEqual({ traceparent: null });
    expect(inner.every((line) => !('trace_id' in line))).toBe(true);

    const edge: Record<string, unknown>[] = [];
    const router = app(true, edge);
    const started = (await router.inject({ url: '/work' })).json().traceparent as string;
    expect(traceIdOf(started)).toMatch(/^[0-9a-f]{32}$/);
    expect(edge.find((line) => line.msg === 'request')).toMatchObject({ trace_id: traceIdOf(started) });
    const continued = (await router.inject({ url: '/work', headers: { traceparent: CALLER } })).json().traceparent as string;
    expect(traceIdOf(continued)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(continued).not.toBe(CALLER);
  });
});
