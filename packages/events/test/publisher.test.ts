import type { PrismaClient } from '@rgb/db';
import { Metrics } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import {
  connectRedis,
  counterValue,
  createConsumer,
  deleteStreams,
  notExactlyOnce,
  readStream,
  setupDatabase,
  uniqueNames,
  writeEvents,
  type TestDb,
} from './helpers';

let t: TestDb;
let redis: Redis;
const { stream, group } = uniqueNames('publisher');
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
});
afterAll(async () => {
  await deleteStreams(redis, stream);
  redis?.disconnect();
  await t?.close();
});

/** The test's client, except that the first `UPDATE ... published_at` fails: a crash after XADD, before COMMIT. */
function crashingOnceBeforeCommit(prisma: PrismaClient): { prisma: PrismaClient; crashes: () => number } {
  let crashes = 0;
  const extended = prisma.$extends({
    query: {
      async $executeRawUnsafe({ args, query }) {
        const sql = String((args as unknown[])[0]);
        if (crashes === 0 && /SET published_at/.test(sql)) {
          crashes++;
          throw new Error('publisher died between XADD and COMMIT');
        }
        return query(args);
      },
    },
  });
  return { prisma: extended as unknown as PrismaClient, crashes: () => crashes };
}

it('republishes a batch whose marking failed after XADD, and the consumer applies each event once', async () => {
  const eventIds = await writeEvents(t.prisma, 3);
  const crashing = crashingOnceBeforeCommit(t.prisma);
  const metrics = new Metrics('events-test');
  const publisher = new OutboxPublisher({ prisma: crashing.prisma, redis, metrics, table: 'player.outbox', stream });

  await expect(publisher.tick()).rejects.toThrow(/between XADD and COMMIT/);
  expect(crashing.crashes()).toBe(1);
  // The XADDs happened; the marking rolled back with the transaction.
  expect((await readStream(redis, stream)).length).toBe(3);
  expect(await t.prisma.playerOutbox.count({ where: { publishedAt: null } })).toBe(3);
  expect(await counterValue(metrics, 'outbox_publish_failures_total', { stream })).toBe(1);

  expect(await publisher.tick()).toEqual({ worked: 3, pending: false });
  expect(await t.prisma.playerOutbox.count({ where: { publishedAt: null } })).toBe(0);
  expect(await publisher.tick()).toEqual({ worked: 0, pending: false });
  const published = (await readStream(redis, stream)).map((entry) => JSON.parse(entry.event!).event_id as string);
  expect(published).toEqual([...eventIds, ...eventIds]);

  const { consumer, metrics: consumerMetrics } = createConsumer({ stream, group, prisma: t.prisma, redis, blockingRedis: redis });
  expect(await consumer.tick()).toMatchObject({ worked: 6 });
  expect(await notExactlyOnce(t.prisma, eventIds)).toEqual([]);
  const outcome = (name: string) => counterValue(consumerMetrics, 'events_consumed_total', { stream, consumer: group, outcome: name });
  expect(await outcome('applied')).toBe(3);
  expect(await outcome('duplicate')).toBe(3);
  // Every entry, duplicates included, is acknowledged.
  expect(await redis.xpending(stream, group)).toEqual([0, null, null, null]);
});
