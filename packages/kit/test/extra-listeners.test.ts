import { createServer, type AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { adminSubgraph } from '@rgb/admin';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSubgraphConfig, startSubgraph } from '../src/service';
import type { SubgraphDefinition } from '../src/subgraph-server';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

const env = () => ({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '2', PORT: '0', METRICS_PORT: '0' });

/** Whether the app port answers /health (the test reads it at each step of the listener's life). */
async function appServes(url: string | undefined): Promise<boolean> {
  if (!url) return false;
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

it('opens a subgraph\'s extra listeners before its app port and closes them before it, then closes its services', async () => {
  const steps: string[] = [];
  let appUrl: string | undefined;
  const extra = createServer((socket) => socket.end('extra\n'));
  const definition: SubgraphDefinition<unknown, { resource: string }> = {
    ...(adminSubgraph as unknown as SubgraphDefinition<unknown, { resource: string }>),
    createServices: async () => {
      steps.push('services created');
      return { resource: 'open' };
    },
    closeServices: async (services) => {
      steps.push(`services closed (app serving: ${await appServes(appUrl)})`);
      services.resource = 'closed';
    },
    listeners: (_deps, services) => [
      {
        name: 'extra',
        listen: async () => {
          steps.push(`extra listening with services ${services.resource} (app serving: ${await appServes(appUrl)})`);
          await new Promise<void>((resolve) => extra.listen(0, '127.0.0.1', resolve));
          return `http://127.0.0.1:${(extra.address() as AddressInfo).port}`;
        },
        close: async () => {
          steps.push(`extra closing (app serving: ${await appServes(appUrl)})`);
          await new Promise((resolve) => extra.close(resolve));
        },
      },
    ],
  };
  const started = await startSubgraph(definition, loadSubgraphConfig(0, env()));
  appUrl = started.url;
  expect(started.listenerUrls.extra).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(extra.listening).toBe(true);
  await started.close();
  expect(extra.listening).toBe(false);
  expect(steps).toEqual([
    'services created',
    'extra listening with services open (app serving: false)',
    'extra closing (app serving: true)',
    'services closed (app serving: false)',
  ]);
});

it('closes what it opened when a listener cannot listen, and fails with that reason', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const taken = (holder.address() as AddressInfo).port;
  let closed = false;
  const definition: SubgraphDefinition<unknown, object> = {
    ...(adminSubgraph as unknown as SubgraphDefinition<unknown, object>),
    closeServices: async () => {
      closed = true;
    },
    listeners: () => {
      const extra = createServer();
      return [
        {
          name: 'extra',
          listen: () =>
            new Promise((resolve, reject) => {
              extra.once('error', reject);
              extra.listen(taken, '127.0.0.1', () => resolve('unexpected'));
            }),
          close: () => new Promise<void>((resolve) => (extra.listening ? extra.close(() => resolve()) : resolve())),
        },
      ];
    },
  };
  try {
    await expect(startSubgraph(definition, loadSubgraphConfig(0, env()))).rejects.toThrow(/EADDRINUSE/);
    expect(closed).toBe(true);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
