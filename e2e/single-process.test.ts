// PLATFORM_MODE=single: every API, worker and the router in one process (this test's), as npm start runs them.
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { createTestDatabase } from '@rgb/db/testing';
import { DOMAINS, ServiceStartError, startPlatform } from '@rgb/platform';
import { STREAMS } from '@rgb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedPlayer, sendSignedCallback } from './support/callbacks';
import { freePlatformPorts } from './support/http';
import { bootPlatform, isolatedRedisUrl, type TestPlatform } from './support/platform';

const SECRET = 'single-process-provider-secret';

/** The ports of `ports` that something still listens on. */
async function portsInUse(ports: Record<string, number>): Promise<string[]> {
  const taken = await Promise.all(
    Object.entries(ports).map(
      ([name, port]) =>
        new Promise<string | null>((resolve) => {
          const server = createServer();
          server.once('error', () => resolve(name));
          server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(null)));
        }),
    ),
  );
  return taken.filter((name): name is string => name !== null);
}

describe('the platform in one process', () => {
  let platform: TestPlatform;
  let redis: Redis;

  beforeAll(async () => {
    platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET }, { mode: 'single' });
    redis = new Redis(platform.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await platform?.stop();
  });

  it('serves every API and worker on its own port, with no process of its own', async () => {
    expect(platform.platform.mode).toBe('single');
    for (const service of platform.platform.services) {
      expect({ name: service.name, status: (await fetch(`${service.url}/health`)).status }).toEqual({ name: service.name, status: 200 });
      expect(() => service.process).toThrow(/runs inside the launcher's process/);
    }
  });

  it('answers across subgraphs and the game callback listener, money moving through the wallet', async () => {
    const { account, token } = await fundedPlayer(platform, 'sid_single');
    const me = await platform.graphql(`{ me { username wallet { balance currency } } }`, undefined, { token });
    expect(me.body.data).toEqual({ me: { username: 'sid_single', wallet: { balance: '100.00', currency: 'USD' } } });
    const body = JSON.stringify({ request_id: 'single-balance-1', timestamp: new Date().toISOString(), account, currency: 'USD' });
    const balance = await sendSignedCallback(platform, 'balance', body, SECRET);
    expect(JSON.parse(balance.text)).toEqual({ status: 'OK', balance: '100.00', currency: 'USD', duplicate: false });
  });

  it('counts the Node process once: only the router reports process metrics, each service its own metrics', async () => {
    for (const service of platform.platform.services) {
      const text = await (await fetch(`${service.metricsUrl}/metrics`)).text();
      expect({ name: service.name, processMetrics: /^process_cpu_seconds_total\{/m.test(text) }).toEqual({
        name: service.name,
        processMetrics: service.name === 'router',
      });
      expect(text, service.name).toMatch(new RegExp(`service="${service.name}"`));
    }
  });

  it('runs the consumers the manifests declare: a group of each consuming domain on each stream it consumes', async () => {
    await platform.register('sid_consumer');
    for (const domain of DOMAINS) {
      for (const stream of domain.consumes) {
        const deadline = Date.now() + 10_000;
        let groups: string[] = [];
        while (Date.now() < deadline) {
          groups = ((await redis.call('XINFO', 'GROUPS', STREAMS[stream]).catch(() => [])) as unknown[][]).map((group) => String(group[1]));
          if (groups.some((group) => group.startsWith(`${domain.name}.`))) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect({ domain: domain.name, stream, groups }).toEqual({ domain: domain.name, stream, groups: expect.arrayContaining([expect.stringMatching(new RegExp(`^${domain.name}\\.`))]) });
      }
    }
  });
});

describe('a service of the single process that cannot start', () => {
  it('stops every service that did start and fails with that service and its reason, leaving every port free', async () => {
    const database = await createTestDatabase();
    const ports = await freePlatformPorts();
    try {
      const error = await startPlatform({
        mode: 'single',
        databaseUrl: database.url,
        redisUrl: await isolatedRedisUrl(),
        env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', CALLBACK_MAX_BYTES: 'lots' },
        ports,
      }).then(
        async (platform) => {
          await platform.stop();
          throw new Error('the platform started although the game could not');
        },
        (refusal: unknown) => refusal,
      );
      expect(error).toBeInstanceOf(ServiceStartError);
      expect((error as Error).message).toMatch(/^game failed to start: invalid configuration:\n {2}- CALLBACK_MAX_BYTES: /);
      expect(await portsInUse(ports)).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
