import { randomUUID } from 'node:crypto';
import { deadLetterStream } from '@rgb/contracts';
import { createWorker } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import {
  BRAND,
  connectRedis,
  counterValue,
  createConsumer,
  deleteStreams,
  inboxCount,
  log,
  notExactlyOnce,
  readStream,
  recordApplied,
  setupDatabase,
  uniqueNames,
  waitFor,
  writeEvent,
  type TestDb,
} from './helpers';

let t: TestDb;
let redis: Redis;
let blockingRedis: Redis;
const streams: string[] = [];
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
  blockingRedis = await connectRedis(undefined, 1_000);
});
afterAll(async () => {
  await deleteStreams(redis, ...streams);
  redis?.disconnect();
  blockingRedis?.disconnect();
  await t?.close();
});

function names(label: string) {
  const made = uniqueNames(label);
  streams.push(made.stream);
  return made;
}

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const playerId = randomUUID();
  return {
    event_id: randomUUID(),
    event_type: 'PLAYER_REGISTERED',
    schema_version: 2,
    brand_id: BRAND,
    aggregate_type: 'player',
    aggregate_id: playerId,
    occurred_at: new Date().toISOString(),
    payload: { player_id: playerId, username: 'raw', nickname: null, agent_id: null, registered_at: new Date().toISOString() },
    ...overrides,
  };
}

const appliedEventIds = async (group: string) =>
  (await t.prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM public.applied WHERE consumer = $1`, group)).map((row) => row.event_id);

describe('a poison event', () => {
  it('is retried maxDeliveries times, then parked with its reason and counted; the others are applied; /health shows it', async () => {
    const { stream, group } = names('poison');
    const record = recordApplied(group);
    let poisonAttempts = 0;
    const { consumer, metrics } = createConsumer({
      stream,
      group,
      prisma: t.prisma,
      redis,
      blockingRedis,
      claimIdleMs: 150,
      maxDeliveries: 3,
      handlers: {
        PLAYER_REGISTERED: async (tx, event) => {
          if (event.payload.username === 'poison') {
            poisonAttempts++;
            throw new Error('the handler cannot apply this player');
          }
          await record(tx, event);
        },
      },
    });
    const publisher = new OutboxPublisher({ prisma: t.prisma, redis, metrics, table: 'player.outbox', stream });
    const worker = createWorker({ name: 'poison_worker', log, metrics, loops: [publisher, consumer], failureGraceMs: 60_000 });

    const before = [await writeEvent(t.prisma), await writeEvent(t.prisma)];
    const poison = await writeEvent(t.prisma, 'poison');
    const after = [await writeEvent(t.prisma), await writeEvent(t.prisma)];
    worker.start();
    try {
      const parked = await waitFor('a dead letter', async () => (await readStream(redis, deadLetterStream(stream)))[0]);
      // Let the consumer run on a little: nothing more is parked, nothing more is tried.
      await new Promise((resolve) => setTimeout(resolve, 400));

      expect(await readStream(redis, deadLetterStream(stream))).toHaveLength(1);
      expect(parked).toMatchObject({ reason: 'failed 3 deliveries', consumer: group, error: 'the handler cannot apply this player' });
      expect(JSON.parse(parked!.event!)).toMatchObject({ event_id: poison, payload: { username: 'poison' } });
      expect(parked!.source_id).toMatch(/^\d+-\d+$/);
      // Three deliveries; the first may also have tried it inside its whole batch before entry by entry.
      expect(poisonAttempts).toBeGreaterThanOrEqual(3);
      expect(poisonAttempts).toBeLessThanOrEqual(4);

      expect(await notExactlyOnce(t.prisma, [...before, ...after])).toEqual([]);
      expect(await inboxCount(t.prisma, group)).toBe(4);
      expect((await redis.xpending(stream, group))[0]).toBe(0);
      expect(await counterValue(metrics, 'events_dead_lettered_total', { stream, consumer: group, reason: 'max_deliveries' })).toBe(1);
      expect(await counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: 'failed' })).toBe(3);

      const health = await worker.app.inject({ url: '/health' });
      expect(health.statusCode).toBe(200);
      const loop = health.json().loops.find((l: { name: string }) => l.name === consumer.name);
      expect(loop).toMatchObject({ deadLettered: 1, lastDeadLetter: { id: parked!.source_id, reason: 'failed 3 deliveries' } });
    } finally {
      await worker.stop();
    }
  });

  it('is parked once when several consumers of the group find it due at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const { stream, group } = names(`race${round}`);
      const entry = await redis.xadd(stream, '*', 'event', JSON.stringify(envelope()));
      await redis.xgroup('CREATE', stream, group, '0');
      await redis.xreadgroup('GROUP', group, 'gone', 'COUNT', 1, 'STREAMS', stream, '>');
      // Two more deliveries (claims by a consumer that died too): 3 = maxDeliveries.
      await redis.xclaim(stream, group, 'gone', 0, entry!);
      await redis.xclaim(stream, group, 'gone', 0, entry!);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const consumers = ['a', 'b', 'c'].map(
        (name) => createConsumer({ stream, group, consumerName: name, prisma: t.prisma, redis, blockingRedis: redis, claimIdleMs: 50, maxDeliveries: 3 }).consumer,
      );
      await Promise.all(consumers.map((consumer) => consumer.tick()));
      expect(await readStream(redis, deadLetterStream(stream))).toHaveLength(1);
      expect((await redis.xpending(stream, group))[0]).toBe(0);
    }
  });
});

describe('envelopes no handler may apply', () => {
  it('rejects schema_version 1 and a missing brand: counted, parked with their reason, nothing applied', async () => {
    const { stream, group } = names('reject');
    const legacy = envelope({ schema_version: 1 });
    const brandless = envelope();
    delete brandless.brand_id;
    const good = envelope();
    for (const event of [legacy, brandless, good]) await redis.xadd(stream, '*', 'event', JSON.stringify(event));
    await redis.xadd(stream, '*', 'event', 'not json at all');

    const { consumer, metrics } = createConsumer({ stream, group, prisma: t.prisma, redis, blockingRedis: redis });
    expect(await consumer.tick()).toMatchObject({ worked: 4 });

    expect(await appliedEventIds(group)).toEqual([good.event_id]);
    expect(await inboxCount(t.prisma, group)).toBe(1);
    expect((await redis.xpending(stream, group))[0]).toBe(0);
    const parked = await readStream(redis, deadLetterStream(stream));
    expect(parked.map((entry) => entry.reason)).toEqual(['legacy_schema', 'missing_brand', 'malformed']);
    expect(parked.map((entry) => entry.event)).toEqual([JSON.stringify(legacy), JSON.stringify(brandless), 'not json at all']);
    expect(parked.every((entry) => entry.consumer === group)).toBe(true);

    const labels = { stream, consumer: group };
    expect(await counterValue(metrics, 'event_legacy_schema_total', labels)).toBe(1);
    expect(await counterValue(metrics, 'events_rejected_total', { ...labels, reason: 'legacy_schema' })).toBe(1);
    expect(await counterValue(metrics, 'events_rejected_total', { ...labels, reason: 'missing_brand' })).toBe(1);
    expect(await counterValue(metrics, 'events_rejected_total', { ...labels, reason: 'malformed' })).toBe(1);
    expect(await counterValue(metrics, 'events_dead_lettered_total', { ...labels, reason: 'missing_brand' })).toBe(1);
    expect(await counterValue(metrics, 'events_consumed_total', { ...labels, outcome: 'rejected' })).toBe(3);
    // In the exposition a scraper reads, with both labels.
    const exposition = await metrics.registry.getSingleMetricAsString('event_legacy_schema_total');
    expect(exposition).toContain(`event_legacy_schema_total{stream="${stream}",consumer="${group}",service="events-test"} 1`);
  });

  it('applies an event whose id is in upper case exactly once (the inbox returns ids in lower case)', async () => {
    const { stream, group } = names('uppercase');
    const event = envelope({ event_id: randomUUID().toUpperCase() });
    await redis.xadd(stream, '*', 'event', JSON.stringify(event));
    await redis.xadd(stream, '*', 'event', JSON.stringify(event));
    const { consumer, metrics } = createConsumer({ stream, group, prisma: t.prisma, redis, blockingRedis: redis });
    await consumer.tick();
    const id = String(event.event_id).toLowerCase();
    expect((await appliedEventIds(group)).filter((applied) => applied === id)).toHaveLength(1);
    expect(await counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: 'applied' })).toBe(1);
    expect(await counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: 'duplicate' })).toBe(1);
  });
});
