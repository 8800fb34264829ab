import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Metrics } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import {
  appliedCounts,
  connectRedis,
  counterValue,
  createConsumer,
  deleteStreams,
  exited,
  inboxCount,
  notExactlyOnce,
  REDIS_URL,
  setupDatabase,
  uniqueNames,
  waitFor,
  writeEvents,
  type TestDb,
} from './helpers';

const EVENTS = 12;
const BATCH = 4;
const FIXTURE = fileURLToPath(new URL('./fixtures/slow-consumer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let t: TestDb;
let redis: Redis;
let blockingRedis: Redis;
let child: ChildProcess | undefined;
let childOutput = '';
const { stream, group } = uniqueNames('crash');
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
  blockingRedis = await connectRedis(undefined, 1_000);
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (child) await exited(child);
  await deleteStreams(redis, stream);
  redis?.disconnect();
  blockingRedis?.disconnect();
  await t?.close();
});

const committed = async () => [...(await appliedCounts(t.prisma)).values()].reduce((sum, n) => sum + n, 0);
/** Events the child has started applying (its handler prints each, inside its transaction). */
const started = () => [...childOutput.matchAll(/^applying (\S+)$/gm)].map((match) => match[1]!);

it('a consumer killed mid-batch leaves its batch pending; another reclaims it and every event is applied once', async () => {
  const eventIds = await writeEvents(t.prisma, EVENTS);
  const publisher = new OutboxPublisher({ prisma: t.prisma, redis, metrics: new Metrics('events-test'), table: 'player.outbox', stream });
  expect((await publisher.tick()).worked).toBe(EVENTS);

  // A consumer process reads batches of 4 and applies each batch in one transaction, 150 ms per event.
  child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: t.db.url,
      REDIS_URL,
      STREAM: stream,
      GROUP: group,
      CONSUMER_NAME: 'doomed',
      BATCH_SIZE: String(BATCH),
      HANDLER_DELAY_MS: '150',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
  // Kill it once a batch has committed and the next one is half applied.
  await waitFor('the child in the middle of its second batch', async () => {
    if (child?.exitCode !== null) throw new Error(`the child exited: ${childOutput}`);
    return started().length >= BATCH + 2 && (await committed()) >= BATCH;
  }, 20_000);
  child.kill('SIGKILL');
  await exited(child);

  // Whole batches committed; the one in hand rolled back and is pending with the dead consumer.
  const appliedByChild = await committed();
  expect(appliedByChild % BATCH).toBe(0);
  expect(appliedByChild).toBeGreaterThanOrEqual(BATCH);
  expect(appliedByChild).toBeLessThan(EVENTS);
  const counts = await appliedCounts(t.prisma);
  const inFlight = started().filter((id) => !counts.has(id));
  expect(inFlight.length).toBeGreaterThanOrEqual(1);
  const [pendingCount, , , owners] = (await redis.xpending(stream, group)) as [number, string, string, [string, string][]];
  expect(pendingCount).toBeGreaterThanOrEqual(BATCH);
  expect(owners).toEqual([['doomed', String(pendingCount)]]);

  const { consumer: rescuer, metrics } = createConsumer({
    stream,
    group,
    consumerName: 'rescuer',
    claimIdleMs: 300,
    batchSize: BATCH,
    prisma: t.prisma,
    redis,
    blockingRedis,
  });
  await waitFor('every event applied and acknowledged', async () => {
    await rescuer.tick();
    return (await committed()) >= EVENTS && (await redis.xpending(stream, group))[0] === 0;
  }, 15_000);
  // One more turn: nothing is left to claim, and nothing is applied again.
  await rescuer.tick();

  expect(await notExactlyOnce(t.prisma, eventIds)).toEqual([]);
  expect(await inboxCount(t.prisma, group)).toBe(EVENTS);
  // The batch in hand at the kill was applied by the rescuer, which had to claim it.
  const byRescuer = await t.prisma.$queryRawUnsafe<{ event_id: string }[]>(`SELECT event_id::text FROM public.applied WHERE consumer = 'rescuer'`);
  expect(byRescuer.map((row) => row.event_id)).toEqual(expect.arrayContaining(inFlight));
  const outcome = (name: string) => counterValue(metrics, 'events_consumed_total', { stream, consumer: group, outcome: name });
  expect(await outcome('applied')).toBe(EVENTS - appliedByChild);
  expect(await outcome('failed')).toBe(0);
}, 60_000);
