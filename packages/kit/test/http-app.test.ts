import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSubgraph } from '@rgb/admin';
import { createHttpApp } from '../src/http-app';
import { createLogger } from '../src/logger';
import { Metrics } from '../src/metrics';
import { startSeededTestSubgraph, waitFor, type SeededTestSubgraph } from '../src/testing';
import { createWorker } from '../src/worker';

const log = createLogger('http-app-test', process.env.TEST_LOG_LEVEL ?? 'silent');

let server: SeededTestSubgraph;
beforeAll(async () => {
  server = await startSeededTestSubgraph(adminSubgraph);
});
afterAll(() => server?.close());

describe('GET /metrics', () => {
  it('exposes the request latency histogram, with the requests the app served, on the metrics port', async () => {
    expect(new URL(server.metricsUrl).port).not.toBe(new URL(server.url).port);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const response = await fetch(`${server.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} [1-9]/m);
  });

  it('is not served on the app port, and the metrics port serves nothing else', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.metricsUrl}/health`)).status).toBe(404);
    expect((await fetch(`${server.metricsUrl}/graphql`, { method: 'POST' })).status).toBe(404);
  });
});

describe('GET /health', () => {
  it('answers 200 while the database answers', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 503 naming the failed check once the database is gone', async () => {
    await server.database.drop();
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^database: [\s\S]*does not exist/) });
    // The database gates traffic: not ready either, but alive (a restart would not bring it back).
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^database: [\s\S]*does not exist/) });
    const live = await fetch(`${server.url}/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /ready and GET /live', () => {
  /** A check whose dependency is up or down as the test says. */
  const dependency = (name: string) => {
    const state = { up: true };
    return { state, check: async () => {
      if (!state.up) throw new Error(`${name} is down`);
    } };
  };

  function app() {
    const gating = dependency('database');
    const reported = dependency('partner');
    const lines: Record<string, unknown>[] = [];
    const built = createHttpApp({
      log: createLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line)) }),
      metrics: new Metrics('test'),
      checks: { database: gating.check, partner: reported.check },
      informational: ['partner'],
    });
    return { built, gating: gating.state, reported: reported.state, lines };
  }
  const probe = async (built: ReturnType<typeof app>['built'], url: string) => {
    const answer = await built.inject({ url });
    return { status: answer.statusCode, body: answer.json() as Record<string, unknown> };
  };

  it('ready skips an informational check that /health still fails on', async () => {
    const { built, reported } = app();
    expect(await probe(built, '/ready')).toEqual({ status: 200, body: { status: 'ok' } });
    reported.up = false;
    expect(await probe(built, '/health')).toEqual({ status: 503, body: { status: 'unavailable', reason: 'partner: partner is down' } });
    expect(await probe(built, '/ready')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('ready fails on a check that gates traffic; live answers 200 throughout; none of the probes is logged', async () => {
    const { built, gating, reported, lines } = app();
    gating.up = false;
    reported.up = false;
    expect(await probe(built, '/ready')).toEqual({ status: 503, body: { status: 'unavailable', reason: 'database: database is down' } });
    expect((await probe(built, '/health')).status).toBe(503);
    expect(await probe(built, '/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(lines.filter((line) => line.msg === 'request')).toEqual([]);
  });

  it('refuses an informational name that is no check', () => {
    expect(() =>
      createHttpApp({ log, metrics: new Metrics('test'), checks: { database: async () => {} }, informational: ['databse' as 'database'] }),
    ).toThrow('informational names no check: databse');
  });

  it("are a worker's too: a failing loop or job fails /health but not /ready, which its dependencies' checks still gate", async () => {
    const failing = { name: 'failing', tick: async (): Promise<never> => { throw new Error('partner refused'); }, idleDelayMs: 10 };
    const database = dependency('database');
    const worker = createWorker({ name: 'test_worker', log, metrics: new Metrics('test'), loops: [failing], failureGraceMs: 0, checks: { database: database.check } });
    worker.start();
    try {
      await waitFor('the worker unhealthy', () => worker.problems().length > 0);
      expect((await worker.app.inject({ url: '/health' })).json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^progress: failing: failing for \d+ s: partner refused/) });
      // Progress gates no traffic: a job's failed run is every replica's, and a worker serves no traffic to take away.
      expect((await worker.app.inject({ url: '/ready' })).statusCode).toBe(200);
      database.state.up = false;
      expect((await worker.app.inject({ url: '/ready' })).json()).toMatchObject({ status: 'unavailable', reason: 'database: database is down' });
      expect((await worker.app.inject({ url: '/live' })).statusCode).toBe(200);
    } finally {
      await worker.stop();
    }
  });
});
