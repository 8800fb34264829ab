import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, Metrics, type Worker } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxPublisher } from '../src/index';
import { connectRedis, freePort, log, readStream, RedisServer, setupDatabase, uniqueNames, waitFor, writeEvents, type TestDb } from './helpers';

/** ADR-003: a publisher that cannot reach its stream is not healthy, even with nothing to publish. */
let t: TestDb;
let server: RedisServer;
let redis: Redis;
let worker: Worker | undefined;
let dir: string;
const { stream } = uniqueNames('idle-outage');
beforeAll(async () => {
  t = await setupDatabase();
  server = new RedisServer(await freePort());
  await server.start();
  redis = await connectRedis(server.url);
  dir = await mkdtemp(join(tmpdir(), 'idle-publisher-'));
});
afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  await server?.dispose();
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

const health = async () => {
  const response = await worker!.app.inject({ url: '/health' });
  return { status: response.statusCode, body: response.json() as { status: string; reason?: string } };
};

it('an idle publisher turns /health and the heartbeat unhealthy within 15 s of Redis going away, naming it, and recovers once Redis is back', async () => {
  const heartbeatFile = join(dir, 'heartbeat.json');
  const heartbeat = async () => JSON.parse(await readFile(heartbeatFile, 'utf8')) as { status: string; problems: string[] };
  const metrics = new Metrics('events-test');
  const publisher = new OutboxPublisher({ prisma: t.prisma, redis, metrics, table: 'player.outbox', stream });
  // The worker's own grace and stall times: the 15 s are the production ones.
  worker = createWorker({
    name: 'idle_worker',
    log,
    metrics,
    loops: [publisher],
    checks: { database: async () => void (await t.prisma.$queryRaw`SELECT 1`) },
    heartbeatFile,
    heartbeatIntervalMs: 200,
  });
  worker.start();
  await waitFor('healthy', async () => (await health()).status === 200 && (await heartbeat().catch(() => null))?.status === 'ok');

  await server.stop();
  const stoppedAt = Date.now();
  const down = await waitFor('/health 503', async () => { const answer = await health(); return answer.status === 503 && answer; }, 15_000);
  const reason = new RegExp(`^progress: publisher player\\.outbox -> ${stream}: failing for \\d+ s: Redis: cannot append to ${stream}: `);
  expect(down.body.reason).toMatch(reason);
  const beat = await waitFor('the heartbeat unhealthy', async () => { const written = await heartbeat(); return written.status === 'unhealthy' && written; }, 15_000 - (Date.now() - stoppedAt));
  expect(beat.problems).toEqual([expect.stringMatching(/^publisher player\.outbox -> .*: failing for \d+ s: Redis: cannot append to /)]);
  // Idle all along: nothing was waiting to be published.
  expect(await t.prisma.playerOutbox.count({ where: { publishedAt: null } })).toBe(0);

  // Back on the same port.
  await server.start();
  await waitFor('/health 200 again', async () => (await health()).status === 200, 20_000);
  await waitFor('the heartbeat ok again', async () => (await heartbeat()).status === 'ok');
  const [eventId] = await writeEvents(t.prisma, 1);
  await waitFor('the next event published', async () => (await readStream(redis, stream)).some((entry) => entry.event?.includes(eventId!)));
}, 60_000);
