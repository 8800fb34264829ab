import { Metrics } from '@rgb/kit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EventHandler, OutboxPublisher } from '../src/index';
import {
  connectRedis,
  counterValue,
  createConsumer,
  deleteStreams,
  notExactlyOnce,
  recordApplied,
  setupDatabase,
  sleep,
  uniqueNames,
  writeEvent,
  type TestDb,
} from './helpers';

/**
 * PostgreSQL aborts one transaction of a deadlock (two replicas' batches locking rows of the same
 * players in different orders). The consumer's batch that lost runs again at once: applied
 * once, not left pending until another claim, out of order and a delivery nearer the dead letters.
 */
let t: TestDb;
let redis: Redis;
let blockingRedis: Redis;
let rival: pg.Client;
const { stream, group } = uniqueNames('deadlock');
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
  blockingRedis = await connectRedis(undefined, 1_000);
  await t.prisma.$executeRawUnsafe('CREATE TABLE public.contended (id int PRIMARY KEY)');
  await t.prisma.$executeRawUnsafe('INSERT INTO public.contended VALUES (1), (2)');
  rival = new pg.Client({ connectionString: t.db.url });
  await rival.connect();
});
afterAll(async () => {
  await rival?.end();
  await deleteStreams(redis, stream);
  redis?.disconnect();
  blockingRedis?.disconnect();
  await t?.close();
});

it('runs a batch PostgreSQL aborted to break a deadlock again, and applies its event once', async () => {
  const eventId = await writeEvent(t.prisma);
  await new OutboxPublisher({ prisma: t.prisma, redis, metrics: new Metrics('events-test'), table: 'player.outbox', stream }).tick();

  // The rival holds row 2. The handler's first attempt takes row 1 and waits for row 2; then the
  // rival asks for row 1. The handler waited first, so its backend finds the deadlock (after
  // deadlock_timeout, 1 s) and is the one aborted; the rival then commits.
  await rival.query('BEGIN');
  await rival.query('SELECT id FROM public.contended WHERE id = 2 FOR UPDATE');
  let attempts = 0;
  const record = recordApplied(group);
  const handler: EventHandler<'PLAYER_REGISTERED'> = async (tx, event) => {
    attempts += 1;
    await tx.$queryRawUnsafe('SELECT id FROM public.contended WHERE id = 1 FOR UPDATE');
    if (attempts === 1) {
      void sleep(200).then(async () => {
        await rival.query('SELECT id FROM public.contended WHERE id = 1 FOR UPDATE');
        await rival.query('COMMIT');
      });
    }
    await tx.$queryRawUnsafe('SELECT id FROM public.contended WHERE id = 2 FOR UPDATE');
    await record(tx, event);
  };
  const { consumer, metrics } = createConsumer({ stream, group, prisma: t.prisma, redis, blockingRedis, handlers: { PLAYER_REGISTERED: handler } });

  const turn = await consumer.tick();
  expect(turn.worked).toBe(1);
  expect(attempts).toBe(2);
  expect(await notExactlyOnce(t.prisma, [eventId])).toEqual([]);
  expect(await counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: 'applied' })).toBe(1);
  expect(await counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: 'failed' })).toBe(0);
  const [, , , pending] = (await redis.xpending(stream, group)) as [number, string | null, string | null, unknown];
  expect(pending).toBeNull();
});
