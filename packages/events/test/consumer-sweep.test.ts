import { Metrics } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import { connectRedis, createConsumer, deleteStreams, notExactlyOnce, setupDatabase, sleep, uniqueNames, writeEvents, type TestDb } from './helpers';

let t: TestDb;
let redis: Redis;
let blockingRedis: Redis;
const { stream, group } = uniqueNames('sweep');
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
  blockingRedis = await connectRedis(undefined, 1_000);
});
afterAll(async () => {
  await deleteStreams(redis, stream);
  redis?.disconnect();
  blockingRedis?.disconnect();
  await t?.close();
});

const consumerNames = async () =>
  ((await redis.xinfo('CONSUMERS', stream, group)) as string[][]).map((fields) => fields[fields.indexOf('name') + 1]).sort();

it('removes consumers that stopped reading once they hold nothing pending, losing no entry', async () => {
  const eventIds = await writeEvents(t.prisma, 3);
  await new OutboxPublisher({ prisma: t.prisma, redis, metrics: new Metrics('events-test'), table: 'player.outbox', stream }).tick();
  await redis.xgroup('CREATE', stream, group, '0');
  // Two processes that died: one read an entry and never acknowledged it, one read nothing.
  await redis.xreadgroup('GROUP', group, 'died-holding', 'COUNT', 1, 'STREAMS', stream, '>');
  await redis.xgroup('CREATECONSUMER', stream, group, 'died-empty');
  await sleep(50);

  const settings = { stream, group, prisma: t.prisma, redis, blockingRedis, deadConsumerIdleMs: 40, consumerSweepMs: 0 };
  // Not yet willing to claim: the consumer holding an entry stays, the empty one goes.
  const patient = createConsumer({ ...settings, consumerName: 'live', claimIdleMs: 60_000 }).consumer;
  await patient.tick();
  expect(await consumerNames()).toEqual(['died-holding', 'live']);

  // Once its entry is claimed and applied here, the dead consumer holds nothing and goes too.
  const claiming = createConsumer({ ...settings, consumerName: 'live', claimIdleMs: 10 }).consumer;
  await claiming.tick();
  await claiming.tick();
  expect(await consumerNames()).toEqual(['live']);
  expect(await notExactlyOnce(t.prisma, eventIds)).toEqual([]);
  expect((await redis.xpending(stream, group))[0]).toBe(0);
});
