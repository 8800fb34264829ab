import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@rgb/kit';
import {
  BRAND,
  connectRedis,
  counterValue,
  createConsumer,
  deleteStreams,
  recordApplied,
  REDIS_URL,
  setupDatabase,
  uniqueNames,
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

function playerRegistered(): string {
  const playerId = randomUUID();
  return JSON.stringify({
    event_id: randomUUID(),
    event_type: 'PLAYER_REGISTERED',
    schema_version: 2,
    brand_id: BRAND,
    aggregate_type: 'player',
    aggregate_id: playerId,
    occurred_at: new Date().toISOString(),
    payload: { player_id: playerId, username: `p_${playerId.slice(0, 8)}`, nickname: null, agent_id: null, registered_at: new Date().toISOString() },
  });
}

describe("a consumer group's backlog", () => {
  it('is exported as events_consumer_lag (unread), events_consumer_pending (read, not acknowledged) and the idle time of the oldest pending entry, and falls to 0 once drained', async () => {
    const { stream, group } = uniqueNames('backlog');
    streams.push(stream);
    const applied = recordApplied(group);
    let failing = true;
    const { consumer, metrics } = createConsumer({
      stream,
      group,
      prisma: t.prisma,
      redis,
      blockingRedis,
      batchSize: 2,
      backlogCheckMs: 0,
      claimIdleMs: 1_000,
      handlers: {
        PLAYER_REGISTERED: async (tx, event) => {
          if (failing) throw new Error('handler down');
          await applied(tx, event);
        },
      },
    });
    for (let i = 0; i < 5; i++) await redis.xadd(stream, '*', 'event', playerRegistered());
    const labels = { stream, consumer: group };

    // The first turn reads two entries and fails them: they stay pending, three are unread.
    await expect(consumer.tick()).rejects.toThrow('handler down');
    await expect(consumer.tick()).rejects.toThrow('handler down');
    // The second turn measured before reading: 3 unread, 2 pending (the first turn's).
    expect(await counterValue(metrics, 'events_consumer_lag', labels)).toBe(3);
    expect(await counterValue(metrics, 'events_consumer_pending', labels)).toBe(2);
    // Pending, but just delivered: not stuck.
    expect(await counterValue(metrics, 'events_consumer_oldest_pending_idle_seconds', labels)).toBeLessThan(0.3);

    // Left undelivered (below claimIdleMs, so not claimed again), the oldest pending entry ages.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(consumer.tick()).rejects.toThrow('handler down');
    const idle = await counterValue(metrics, 'events_consumer_oldest_pending_idle_seconds', labels);
    expect(idle).toBeGreaterThanOrEqual(0.6);
    expect(idle).toBeLessThan(1);

    failing = false;
    // The failed entries are claimed again once idle claimIdleMs; an idle turn then reads the record.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    let turns = 0;
    while ((await consumer.tick()).worked > 0) expect(++turns).toBeLessThan(10);
    const [unacked] = (await redis.xpending(stream, group)) as [number];
    expect(unacked).toBe(0);
    expect(await counterValue(metrics, 'events_consumer_lag', labels)).toBe(0);
    expect(await counterValue(metrics, 'events_consumer_pending', labels)).toBe(0);
    expect(await counterValue(metrics, 'events_consumer_oldest_pending_idle_seconds', labels)).toBe(0);
  });

  it('never stops consumption when it cannot be read (XINFO GROUPS refused): one warning per streak of failures, the gauges read again once it can', async () => {
    const { stream, group } = uniqueNames('backlog-refused');
    streams.push(stream);
    // A Redis user that may do everything the consumer does but XINFO GROUPS: the gauges' read fails, for real, on every turn.
    const user = `rgb-test-${group}`;
    await redis.acl('SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-xinfo|groups');
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = 'secret';
    const refused = await connectRedis(url.toString());
    const lines: Record<string, unknown>[] = [];
    try {
      const { consumer, metrics } = createConsumer({
        stream,
        group,
        prisma: t.prisma,
        redis: refused,
        blockingRedis,
        batchSize: 2,
        backlogCheckMs: 0,
        log: createLogger('events-test', 'info', { write: (line: string) => void lines.push(JSON.parse(line)) }),
      });
      const written: string[] = [];
      for (let i = 0; i < 5; i++) {
        const event = playerRegistered();
        written.push(JSON.parse(event).event_id);
        await redis.xadd(stream, '*', 'event', event);
      }

      // Every turn tries the read (backlogCheckMs 0) and consumes anyway; the idle one too.
      expect(await consumer.tick()).toEqual({ worked: 2, pending: true });
      expect(await consumer.tick()).toEqual({ worked: 2, pending: true });
      expect(await consumer.tick()).toEqual({ worked: 1, pending: false });
      expect(await consumer.tick()).toEqual({ worked: 0, pending: false });
      const applied = await t.prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM public.applied WHERE consumer = $1`, group);
      expect(applied.map((row) => row.event_id).sort()).toEqual(written.sort());
      const warnings = lines.filter((line) => line.level === 'warn');
      expect(warnings).toEqual([expect.objectContaining({ stream, group, msg: expect.stringMatching(/^reading the backlog gauges failed/) })]);
      expect(JSON.stringify(warnings[0]!.err)).toContain('NOPERM');

      await redis.acl('SETUSER', user, '+xinfo|groups');
      await redis.xadd(stream, '*', 'event', playerRegistered());
      expect(await consumer.tick()).toEqual({ worked: 1, pending: false });
      expect(lines.filter((line) => line.msg === 'backlog gauges read again')).toHaveLength(1);
      const labels = { stream, consumer: group };
      expect(await counterValue(metrics, 'events_consumer_lag', labels)).toBe(1);
      expect(await consumer.tick()).toEqual({ worked: 0, pending: false });
      expect(await counterValue(metrics, 'events_consumer_lag', labels)).toBe(0);
      expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    } finally {
      refused.disconnect();
      await redis.acl('DELUSER', user);
    }
  });
});
