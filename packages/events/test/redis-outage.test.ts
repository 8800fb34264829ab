import { createWorker, Metrics, type Worker } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import {
  appliedCounts,
  connectRedis,
  createConsumer,
  freePort,
  log,
  notExactlyOnce,
  RedisServer,
  setupDatabase,
  uniqueNames,
  waitFor,
  writeEvents,
  type TestDb,
} from './helpers';

let t: TestDb;
let server: RedisServer;
let redis: Redis;
let blockingRedis: Redis;
let worker: Worker | undefined;
const { stream, group } = uniqueNames('outage');
beforeAll(async () => {
  t = await setupDatabase();
  server = new RedisServer(await freePort());
  await server.start();
  redis = await connectRedis(server.url);
  blockingRedis = await connectRedis(server.url, 1_000);
});
afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  blockingRedis?.disconnect();
  await server?.dispose();
  await t?.close();
});

const health = async () => {
  const response = await worker!.app.inject({ url: '/health' });
  return { status: response.statusCode, body: response.json() as { status: string; reason?: string } };
};
const unpublished = async (eventIds: string[]) =>
  t.prisma.playerOutbox.count({ where: { eventId: { in: eventIds }, publishedAt: null } });

it('while Redis is down the publisher turns the worker unhealthy and events wait in the outbox; after, all arrive once and health recovers', async () => {
  const metrics = new Metrics('events-test');
  const publisher = new OutboxPublisher({ prisma: t.prisma, redis, metrics, table: 'player.outbox', stream });
  const { consumer } = createConsumer({ stream, group, prisma: t.prisma, redis, blockingRedis, metrics });
  worker = createWorker({
    name: 'outage_worker',
    log,
    metrics,
    loops: [publisher, consumer],
    checks: { database: async () => void (await t.prisma.$queryRaw`SELECT 1`) },
    failureGraceMs: 500,
    stallAfterMs: 30_000,
  });
  worker.start();

  const before = await writeEvents(t.prisma, 3);
  await waitFor('the first events applied', async () => (await appliedCounts(t.prisma)).size === 3);
  expect(worker.problems()).toEqual([]);
  expect((await health()).status).toBe(200);

  await server.stop();
  const during = await writeEvents(t.prisma, 3);
  const problems = await waitFor('the publisher reported failing', () => {
    const found = worker!.problems();
    return found.some((problem) => problem.startsWith(`${publisher.name}: failing for`)) && found;
  });
  expect(problems.join('\n')).toMatch(/publisher player\.outbox -> .*: failing for \d+ s: /);
  const down = await health();
  expect(down.status).toBe(503);
  expect(down.body.reason).toContain(publisher.name);
  // Nothing was lost or half-published: the events wait in the outbox.
  expect(await unpublished(during)).toBe(3);
  expect((await appliedCounts(t.prisma)).size).toBe(3);

  // Back on the same port, empty (no persistence): no stream, no consumer group.
  await server.start();
  await waitFor('every event applied', async () => (await appliedCounts(t.prisma)).size === 6, 30_000);
  expect(await notExactlyOnce(t.prisma, [...before, ...during])).toEqual([]);
  expect(await unpublished([...before, ...during])).toBe(0);
  // The consumer made its group again on the new server, and the stream holds what the outbox kept.
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  expect(groups.map((info) => info[1])).toEqual([group]);
  expect(await redis.xlen(stream)).toBe(3);

  await waitFor('health recovered', () => worker!.problems().length === 0, 15_000);
  expect((await health()).status).toBe(200);
}, 90_000);
