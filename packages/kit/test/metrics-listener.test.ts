import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { adminSubgraph } from '@rgb/admin';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSubgraphConfig, startSubgraph } from '../src/service';
import { loadWorkerConfig, startWorker } from '../src/worker-service';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

const env = () => ({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '2', PORT: '0', METRICS_PORT: '0' });

/** Whether anything still accepts connections at `url`. */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/metrics`);
    return true;
  } catch {
    return false;
  }
}

it.each([
  ['a subgraph', () => startSubgraph(adminSubgraph, loadSubgraphConfig(0, env()))],
  ['a worker', () => startWorker({ name: 'test_worker', loops: () => [] }, loadWorkerConfig(0, env()))],
])('%s serves /metrics on its metrics port, not its app port, and closes that listener with the rest', async (_kind, start) => {
  const started = await start();
  try {
    expect(new URL(started.metricsUrl).port).not.toBe(new URL(started.url).port);
    const metrics = await fetch(`${started.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('process_cpu_seconds_total');
    expect((await fetch(`${started.url}/metrics`)).status).toBe(404);
  } finally {
    await started.close();
  }
  expect(await listening(started.metricsUrl)).toBe(false);
});
