/**
 * npm run bench:events — the event backbone against raw Redis Streams, in one run:
 *  1. raw baseline: pipelined XADD, then XREADGROUP + XACK, of the same envelopes;
 *  2. throughput: a backlog of outbox rows through one OutboxPublisher and one StreamConsumer
 *     (inbox row per event, one transaction per batch) until the consumer has applied all;
 *  3. lag: a producer process writes one event per transaction at a steady rate; end-to-end
 *     lag is the time from the envelope's occurred_at to the handler seeing it.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

import { applyMigrations, createPrismaClient, ensureDatabase, type PrismaClient } from '@rgb/db';
import { createLogger, createRequestRedis, Metrics } from '@rgb/kit';
import { Redis } from 'ioredis';
import pg from 'pg';
import { OutboxPublisher } from '../src/publisher';
import { StreamConsumer } from '../src/consumer';

const BACKLOG = Number(process.env.BENCH_EVENTS ?? 50_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const server = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const tag = randomBytes(4).toString('hex');
const databaseName = `rgb_bench_${tag}`;
const databaseUrl = Object.assign(new URL(server), { pathname: `/${databaseName}` }).toString();
const stream = `rgb:bench:${tag}:player`;
const brandId = randomUUID();
const log = createLogger('bench', 'warn');

function envelope(): string {
  const playerId = randomUUID();
  return JSON.stringify({
    event_id: randomUUID(),
    event_type: 'PLAYER_REGISTERED',
    schema_version: 2,
    brand_id: brandId,
    aggregate_type: 'player',
    aggregate_id: playerId,
    occurred_at: new Date().toISOString(),
    payload: { player_id: playerId, username: 'bench', nickname: null, agent_id: null, registered_at: new Date().toISOString() },
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function rawBaseline(redis: Redis): Promise<{ xadd: number; read: number }> {
  const key = `${stream}:raw`;
  const payloads = Array.from({ length: BACKLOG }, envelope);
  let started = performance.now();
  for (let i = 0; i < payloads.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const payload of payloads.slice(i, i + 500)) pipeline.xadd(key, '*', 'event', payload);
    await pipeline.exec();
  }
  const xadd = BACKLOG / ((performance.now() - started) / 1000);
  await redis.xgroup('CREATE', key, 'raw', '0');
  started = performance.now();
  let read = 0;
  while (read < BACKLOG) {
    const reply = (await redis.xreadgroup('GROUP', 'raw', 'c', 'COUNT', 500, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    const entries = reply[0]![1];
    for (const [, fields] of entries) JSON.parse(fields[1]!);
    await redis.xack(key, 'raw', ...entries.map(([id]) => id));
    read += entries.length;
  }
  const readRate = BACKLOG / ((performance.now() - started) / 1000);
  await redis.del(key);
  return { xadd, read: readRate };
}

/** Runs a loop's turns as the worker runtime does (idle delay after an empty turn); returns its stopper. */
function spin(tick: () => Promise<{ worked: number }>, idleMs: number) {
  let running = true;
  const finished = (async () => {
    while (running) {
      const { worked } = await tick();
      if (worked === 0 && idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    }
  })();
  return async () => {
    running = false;
    await finished;
  };
}

async function main() {
  await ensureDatabase(databaseUrl);
  await applyMigrations({ databaseUrl });
  const prisma: PrismaClient = createPrismaClient({ databaseUrl, poolSize: 8, applicationName: 'bench' });
  const redis = new Redis(redisUrl);
  const metrics = new Metrics('bench');
  try {
    const raw = await rawBaseline(redis);

    let applied = 0;
    const lags: number[] = [];
    let measuring = false;
    const consumer = new StreamConsumer({
      group: `bench-${tag}`,
      stream,
      prisma,
      redis: createRequestRedis(redisUrl),
      blockingRedis: createRequestRedis(redisUrl, { blockingMs: 1_000 }),
      inbox: 'admin.inbox',
      handlers: {
        PLAYER_REGISTERED: async (_tx, event) => {
          applied++;
          if (measuring) lags.push(Date.now() - Date.parse(event.occurred_at));
        },
      },
      metrics,
      log,
      batchSize: 500,
    });
    const publisher = new OutboxPublisher({ prisma, redis: createRequestRedis(redisUrl), table: 'player.outbox', stream, metrics, batchSize: 1_000 });

    // Backlog: written in bulk first, then drained through publisher and consumer.
    await prisma.$executeRawUnsafe(
      `INSERT INTO player.outbox (event_id, event_type, brand_id, envelope)
       SELECT gen_random_uuid(), 'PLAYER_REGISTERED', $1::uuid, $2::jsonb FROM generate_series(1, $3)`,
      brandId,
      envelope(),
      BACKLOG,
    );
    // Each row needs its own event id inside the envelope for the inbox to see distinct events.
    await prisma.$executeRawUnsafe(`UPDATE player.outbox SET envelope = jsonb_set(envelope, '{event_id}', to_jsonb(event_id::text))`);
    await consumer.tick(); // creates the group
    const started = performance.now();
    // The loops' own idle delays, as the worker runtime applies them.
    const stopPublisher = spin(() => publisher.tick(), publisher.idleDelayMs);
    const stopConsumer = spin(() => consumer.tick(), consumer.idleDelayMs);
    while (applied < BACKLOG) await new Promise((resolve) => setTimeout(resolve, 5));
    const throughput = BACKLOG / ((performance.now() - started) / 1000);

    // Steady rate: RATE events/s from a separate producer process, each event its own transaction.
    measuring = true;
    const before = applied;
    const total = RATE * LAG_SECONDS;
    const writer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./steady-writer.ts', import.meta.url)), databaseUrl, brandId, String(RATE), String(LAG_SECONDS)], { stdio: 'inherit' });
    const exitCode = await new Promise<number | null>((resolve) => writer.once('exit', resolve));
    if (exitCode !== 0) throw new Error(`steady writer exited with ${exitCode}`);
    while (applied < before + total) await new Promise((resolve) => setTimeout(resolve, 5));
    await stopPublisher();
    await stopConsumer();
    lags.sort((a, b) => a - b);

    process.stdout.write(`\nbench:events — ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, backlog ${BACKLOG}, steady ${RATE}/s for ${LAG_SECONDS} s\n\n`);
    process.stdout.write('| measure | value |\n|---|---:|\n');
    process.stdout.write(`| raw XADD (pipelined 500) | ${raw.xadd.toFixed(0)} events/s |\n`);
    process.stdout.write(`| raw XREADGROUP + XACK (500) | ${raw.read.toFixed(0)} events/s |\n`);
    process.stdout.write(`| outbox → publisher → stream → consumer (inbox, 1 tx per batch) | ${throughput.toFixed(0)} events/s |\n`);
    process.stdout.write(`| end-to-end lag at ${RATE}/s, p50 | ${percentile(lags, 50).toFixed(1)} ms |\n`);
    process.stdout.write(`| end-to-end lag at ${RATE}/s, p99 | ${percentile(lags, 99).toFixed(1)} ms |\n`);
    process.stdout.write(`| end-to-end lag at ${RATE}/s, max | ${(lags.at(-1) ?? NaN).toFixed(1)} ms |\n`);
    process.stdout.write(`\nbackbone / raw XREADGROUP throughput: ${(throughput / raw.read).toFixed(2)}\n`);
  } finally {
    await redis.del(stream);
    redis.disconnect();
    await prisma.$disconnect();
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await client.end();
  }
}

await main();
process.exit(0);
