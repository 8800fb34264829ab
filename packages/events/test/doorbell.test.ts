/**
 * The outbox doorbell: a commit that wrote outbox rows rings its outbox's channel, and the
 * publisher, sleeping out a long idle poll, publishes at once; a ring nobody hears still
 * publishes by the poll; and however publishers are woken, every event goes out once.
 */
import { randomUUID } from 'node:crypto';
import {
  closeServiceDeps,
  createServiceDeps,
  createWorker,
  Doorbell,
  loadSubgraphConfig,
  loadWorkerConfig,
  Metrics,
  redisReady,
  type ServiceDeps,
  type StartedWorker,
  startWorker,
  type Worker,
} from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import { connectRedis, deleteStreams, log, readStream, setupDatabase, sleep, type StreamEntry, type TestDb, uniqueNames, waitFor, writeEvent } from './helpers';

let t: TestDb;
let redis: Redis;
/** A service's dependencies (createServiceDeps): its client rings the doorbells of what it commits. */
let service: ServiceDeps;
const streams: string[] = [];
const started: StartedWorker[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
  service = createServiceDeps('doorbell_test', loadSubgraphConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: t.db.url, DATABASE_POOL_SIZE: '4' }));
  await redisReady(service.redis);
});
afterEach(async () => {
  await Promise.all([...started.splice(0).map((worker) => worker.close()), ...workers.splice(0).map((worker) => worker.stop())]);
});
afterAll(async () => {
  await deleteStreams(redis, ...streams);
  if (service) await closeServiceDeps(service);
  redis?.disconnect();
  await t?.close();
});

function newStream(label: string): string {
  const { stream } = uniqueNames(label);
  streams.push(stream);
  return stream;
}

/** A player_worker-like process (startWorker: its doorbell answered on Redis) publishing player.outbox to `stream`. */
async function publishingWorker(stream: string, idleDelayMs: number): Promise<StartedWorker> {
  const worker = await startWorker(
    {
      name: 'doorbell_worker',
      loops: ({ prisma, redis: workerRedis, metrics }) => [new OutboxPublisher({ prisma, redis: workerRedis, metrics, table: 'player.outbox', stream, idleDelayMs })],
    },
    loadWorkerConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: t.db.url, DATABASE_POOL_SIZE: '2', PORT: '0', METRICS_PORT: '0' }),
  );
  started.push(worker);
  return worker;
}

const unpublished = () => t.prisma.playerOutbox.count({ where: { publishedAt: null } });
const publishedIds = async (stream: string) => (await readStream(redis, stream)).map((entry) => JSON.parse(entry.event!).event_id as string);

/** Milliseconds from the commit of one event to its entry on `stream` (at most 5 s of waiting). */
async function commitToStream(stream: string, reader: Redis): Promise<number> {
  const [last] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as StreamEntry[];
  const appended = reader.xread('BLOCK', 5_000, 'STREAMS', stream, last?.[0] ?? '0');
  const eventId = await writeEvent(service.prisma);
  const committedAt = performance.now();
  const entries = (await appended) as [string, StreamEntry[]][] | null;
  const arrivedAt = performance.now();
  expect(entries?.[0]?.[1].map((entry) => JSON.parse(entry[1][1]!).event_id), 'the event on the stream within 5 s').toEqual([eventId]);
  return arrivedAt - committedAt;
}

describe('the outbox doorbell', () => {
  it('has an idle publisher publish an event as soon as its transaction commits, not at its next poll (10 s here)', async () => {
    const stream = newStream('doorbell');
    await publishingWorker(stream, 10_000);
    const reader = await connectRedis(undefined, 5_000);
    try {
      // The first event may come by the worker's first turn; after it the publisher sleeps out its 10 s.
      await commitToStream(stream, reader);
      const delays: number[] = [];
      for (let index = 0; index < 5; index++) {
        // Past the publisher's linger: it sleeps its idle poll again when the next event commits.
        await sleep(150);
        delays.push(await commitToStream(stream, reader));
      }
      // Far below the 10 s poll whatever the machine's load: the ring, not the poll, published them
      // (how fast a ring is, is bench:events' to measure, not a test's).
      delays.sort((a, b) => a - b);
      expect(delays.at(-1), `slowest of ${delays.map(Math.round).join(', ')} ms`).toBeLessThan(2_000);
    } finally {
      reader.disconnect();
    }
  });

  it('rings at once for a commit after a quiet spell, then once at the end of 10 ms for every commit within them', async () => {
    const channel = `test:doorbell:${randomUUID()}`;
    const listener = await connectRedis();
    const heard: number[] = [];
    listener.on('message', () => heard.push(performance.now()));
    try {
      await listener.subscribe(channel);
      const doorbell = new Doorbell(redis, log);
      const rungAt = performance.now();
      for (let index = 0; index < 100; index++) doorbell.ring(channel);
      // The first went at once; the other 99 came within its interval and make one more, at its end.
      await waitFor('two rings heard', () => heard.length === 2);
      expect(heard[1]! - rungAt).toBeGreaterThanOrEqual(9);
      await sleep(100);
      expect(heard).toHaveLength(2);
      doorbell.ring(channel);
      await waitFor('a ring after a quiet spell heard', () => heard.length === 3, 1_000);
    } finally {
      listener.disconnect();
    }
  });

  it('still publishes, by the poll and once, an event whose ring nobody heard', async () => {
    const stream = newStream('lost-ring');
    // A worker whose doorbell listener is gone: createWorker alone answers no doorbell.
    const worker = createWorker({
      name: 'deaf_worker',
      log,
      metrics: new Metrics('events-test'),
      loops: [new OutboxPublisher({ prisma: t.prisma, redis, metrics: new Metrics('events-test'), table: 'player.outbox', stream, idleDelayMs: 400 })],
    });
    workers.push(worker);
    worker.start();
    await sleep(100);
    const eventId = await writeEvent(service.prisma);
    const committedAt = Date.now();
    await waitFor('the event on the stream', async () => (await publishedIds(stream)).includes(eventId), 3_000);
    expect(Date.now() - committedAt).toBeLessThan(1_500);
    await sleep(500);
    expect((await publishedIds(stream)).filter((id) => id === eventId)).toEqual([eventId]);
    expect(await unpublished()).toBe(0);
  });

  it('publishes each event once when rings wake two replicas at once, whatever the order of commits and rings', async () => {
    const stream = newStream('replicas');
    await Promise.all([publishingWorker(stream, 10_000), publishingWorker(stream, 10_000)]);
    await sleep(200);
    const written = (await Promise.all(Array.from({ length: 4 }, async () => {
      const ids: string[] = [];
      for (let index = 0; index < 15; index++) {
        ids.push(await writeEvent(service.prisma));
        await sleep(index % 5);
      }
      return ids;
    }))).flat();
    await waitFor('every event published', async () => (await unpublished()) === 0, 5_000);
    await sleep(200);
    const published = await publishedIds(stream);
    expect(published.length).toBe(written.length);
    expect(new Set(published)).toEqual(new Set(written));
  });
});
