// Shared setup of the events tests: a database of the test file's own, Redis clients, event
// writers, a recording handler, metric readers and a dedicated redis-server for outage tests.
import { randomUUID } from 'node:crypto';
import { deadLetterStream } from '@rgb/contracts';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { createLogger, createRequestRedis, Metrics } from '@rgb/kit';
import { waitFor } from '@rgb/kit/testing';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { appendToOutbox, type EventHandler, outboxTransaction, StreamConsumer, type ConsumerOptions } from '../src/index';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BRAND = '0190a1b2-0000-7000-8000-0000000000a1';
export const OTHER_BRAND = '0190a1b2-0000-7000-8000-0000000000b2';
export const log = createLogger('events-test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** A stream and a consumer group nobody else uses, so test files run in parallel on one Redis. */
export function uniqueNames(label: string): { stream: string; group: string } {
  const id = randomUUID().slice(0, 8);
  return { stream: `test:events:${label}:${id}`, group: `test.${label}.${id}` };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { waitFor };

export interface TestDb {
  db: TestDatabase;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * A migrated database of the test file's own, with `public.applied`: what test handlers apply.
 * It has no unique constraint, so an event applied twice shows as two rows.
 */
export async function setupDatabase(): Promise<TestDb> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 8, applicationName: 'events-test' });
  await prisma.$executeRawUnsafe(
    `CREATE TABLE public.applied (event_id uuid NOT NULL, consumer text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  return {
    db,
    prisma,
    async close() {
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

/** A fail-fast client like the services use, once connected (it refuses commands before that). */
export async function connectRedis(url = REDIS_URL, blockingMs = 0): Promise<Redis> {
  const redis = createRequestRedis(url, { blockingMs });
  redis.on('error', () => {}); // outage tests expect connection errors; commands report them
  await waitFor(`redis ${url} ready`, () => redis.status === 'ready', 10_000);
  return redis;
}

/** Writes one PLAYER_REGISTERED into player.outbox, as registerPlayer does; returns its event id. */
export async function writeEvent(prisma: PrismaClient, username: string = `p_${randomUUID().slice(0, 8)}`): Promise<string> {
  const playerId = randomUUID();
  const envelope = await outboxTransaction(prisma, (tx) =>
    appendToOutbox(tx, 'player.outbox', {
      type: 'PLAYER_REGISTERED',
      owner: { brandId: BRAND },
      brandId: BRAND,
      aggregateType: 'player',
      aggregateId: playerId,
      payload: { player_id: playerId, username, nickname: null, agent_id: null, registered_at: new Date().toISOString() },
    }),
  );
  return envelope.event_id;
}

export async function writeEvents(prisma: PrismaClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await writeEvent(prisma));
  return ids;
}

/** The handler of the tests: one row in `public.applied` per application, in the consumer's transaction. */
export function recordApplied(consumer: string): EventHandler {
  return async (tx, event) => {
    await tx.$executeRawUnsafe(`INSERT INTO public.applied (event_id, consumer) VALUES ($1::uuid, $2)`, event.event_id, consumer);
  };
}

/** How many times each event was applied (events never applied are absent). */
export async function appliedCounts(prisma: PrismaClient): Promise<Map<string, number>> {
  const rows = await prisma.$queryRawUnsafe<{ event_id: string; n: bigint }[]>(
    `SELECT event_id::text, count(*) AS n FROM public.applied GROUP BY event_id`,
  );
  return new Map(rows.map((row) => [row.event_id, Number(row.n)]));
}

/** Asserts nothing: returns the events applied other than exactly once, for an `toEqual([])`. */
export async function notExactlyOnce(prisma: PrismaClient, eventIds: string[]): Promise<string[]> {
  const counts = await appliedCounts(prisma);
  const wrong = eventIds.filter((id) => counts.get(id) !== 1).map((id) => `${id} applied ${counts.get(id) ?? 0} times`);
  for (const id of counts.keys()) if (!eventIds.includes(id)) wrong.push(`${id} applied but never written`);
  return wrong;
}

export async function inboxCount(prisma: PrismaClient, group: string): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM admin.inbox WHERE consumer = $1`, group);
  return Number(rows[0]?.n ?? 0);
}

export type ConsumerSetup = Omit<ConsumerOptions, 'inbox' | 'log' | 'metrics' | 'handlers'> &
  Partial<Pick<ConsumerOptions, 'handlers' | 'metrics' | 'log'>>;

/** A StreamConsumer on `admin.inbox` that records every PLAYER_REGISTERED in `public.applied`. */
export function createConsumer(setup: ConsumerSetup): { consumer: StreamConsumer; metrics: Metrics } {
  const metrics = setup.metrics ?? new Metrics('events-test');
  const consumer = new StreamConsumer({
    inbox: 'admin.inbox',
    log,
    handlers: { PLAYER_REGISTERED: recordApplied(setup.consumerName ?? setup.group) },
    blockMs: 50,
    ...setup,
    metrics,
  });
  return { consumer, metrics };
}

/** A counter's value for exactly these labels (0 when never incremented). */
export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name) as Counter | undefined;
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => String((value.labels as Record<string, unknown>)[key]) === wanted),
  );
  return match?.value ?? 0;
}

export type StreamEntry = [id: string, fields: string[]];

export function fields(entry: StreamEntry): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < entry[1].length; i += 2) record[entry[1][i]!] = entry[1][i + 1]!;
  return record;
}

export async function readStream(redis: Redis, stream: string): Promise<Record<string, string>[]> {
  return ((await redis.xrange(stream, '-', '+')) as StreamEntry[]).map(fields);
}

export async function deleteStreams(redis: Redis | undefined, ...streams: string[]): Promise<void> {
  if (redis?.status !== 'ready') return;
  await redis.del(...streams.flatMap((stream) => [stream, deadLetterStream(stream)]));
}

export { freePort } from '@rgb/kit/testing';

export { exited, RedisServer } from './redis-server';
