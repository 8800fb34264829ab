import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSubgraph } from '@rgb/admin';
import { startSeededTestSubgraph, type SeededTestSubgraph } from '../src/testing';

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
  });
});
