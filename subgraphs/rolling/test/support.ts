/**
 * What the rolling tests share: the admin subgraph (brands and their configs), the wallet subgraph
 * (which confirms completions) and the rolling subgraph with a rolling_worker, all on one seeded
 * database and a Redis database of their own; the wallet's events as the wallet writes them, put
 * on its stream, and a wait until the worker has applied everything put there.
 */
import { randomUUID } from 'node:crypto';
import { adminSubgraph } from '@rgb/admin';
import { type Envelope, STREAMS } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { BrandRef, StartedWorker } from '@rgb/kit';
import { isolatedRedisUrl, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, startTestSubgraph, type TestSubgraph } from '@rgb/kit/testing';
import { loadWalletConfig, walletSubgraph } from '@rgb/wallet';
import { Redis } from 'ioredis';
import { appendToWalletStream, groupCaughtUp, type WalletEvent } from '../../wallet/test/stream-events';
import { loadRollingConfig, rollingSubgraph } from '../src/index';
import { loadRollingWorkerConfig, startRollingWorker, TURNOVER_GROUP } from '../src/worker';

export { bet, depositApproved, type WalletEvent } from '../../wallet/test/stream-events';

export interface RollingPlatform {
  admin: SeededTestSubgraph;
  wallet: TestSubgraph;
  rolling: TestSubgraph;
  /** The rolling_worker started with the platform. */
  worker: StartedWorker;
  /** A client of the shared database for the tests' own reads and writes (the admin's). */
  prisma: PrismaClient;
  redis: Redis;
  brands: { demo: BrandRef; acme: BrandRef };
  /** Another rolling_worker on the same database, Redis and consumer group; `env` adds to its config. Closed with the platform. */
  startWorker(env?: NodeJS.ProcessEnv): Promise<StartedWorker>;
  /** Another wallet subgraph on the same database, Redis and brands; `env` adds to its config (`PORT`). Closed with the platform. */
  startWallet(env?: NodeJS.ProcessEnv): Promise<TestSubgraph>;
  /**
   * Appends events to rgb:stream:wallet (one transaction) as the wallet's outbox publisher does,
   * and resolves once the workers' group has read and acknowledged every entry of the stream;
   * throws on a dead letter.
   */
  publish(...events: WalletEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Closes a resource once, however many times it is asked to. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}

/** Boots the platform. Workers poll scheduled jobs every 50 ms, so a test that makes a window due sees it run at once. */
export async function startRollingPlatform(): Promise<RollingPlatform> {
  const redisUrl = await isolatedRedisUrl();
  const closers: (() => Promise<void>)[] = [];
  const closeAll = once(async () => {
    for (const close of closers.reverse()) await close();
  });
  try {
    const admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
    closers.push(() => admin.close());
    const databaseUrl = admin.database.url;
    const startWallet = async (env: NodeJS.ProcessEnv = {}) => {
      const walletEnv = { NODE_ENV: 'test', REDIS_URL: redisUrl, ...env };
      const wallet = await startTestSubgraph(walletSubgraph(loadWalletConfig(walletEnv)), databaseUrl, walletEnv);
      const close = once(() => wallet.close());
      closers.push(close);
      return { ...wallet, close };
    };
    const wallet = await startWallet();
    const base = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '3', REDIS_URL: redisUrl, ADMIN_URL: admin.url };
    const rolling = await startTestSubgraph(rollingSubgraph(loadRollingConfig(base)), databaseUrl, base);
    closers.push(() => rolling.close());
    const redis = new Redis(redisUrl);
    closers.push(async () => void redis.disconnect());

    const startWorker = async (env: NodeJS.ProcessEnv = {}) => {
      const config = loadRollingWorkerConfig({ ...base, PORT: '0', METRICS_PORT: '0', JOB_POLL_MS: '50', WALLET_URL: wallet.url, ...env });
      const worker = await startRollingWorker(config);
      const close = once(() => worker.close());
      closers.push(close);
      return { ...worker, close };
    };
    const worker = await startWorker();
    return {
      admin,
      wallet,
      rolling,
      worker,
      prisma: admin.deps.prisma,
      redis,
      brands: admin.brands,
      startWorker,
      startWallet,
      async publish(...events) {
        await appendToWalletStream(redis, events);
        await groupCaughtUp(redis, TURNOVER_GROUP);
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

// --- Reading what happened ---------------------------------------------------------------------

/** A player's requirements in the brand, oldest first (the order turnover fills them). */
export const requirementsOf = (platform: RollingPlatform, brand: BrandRef, playerId: string) =>
  platform.prisma.rolling.findMany({ where: { brandId: brand.id, playerId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });

/** Rolling outbox rows of `type` about `rollingId`. */
export const rollingOutbox = (platform: RollingPlatform, type: string, rollingId?: string) =>
  platform.prisma.rollingOutbox.findMany({
    where: { eventType: type, ...(rollingId ? { envelope: { path: ['aggregate_id'], equals: rollingId } } : {}) },
    orderBy: { id: 'asc' },
  });

/** Wallet outbox rows of `type` about `rollingId`. */
export const walletOutbox = (platform: RollingPlatform, type: string, rollingId: string) =>
  platform.prisma.walletOutbox.findMany({ where: { eventType: type, envelope: { path: ['aggregate_id'], equals: rollingId } }, orderBy: { id: 'asc' } });

/** The envelopes on rgb:stream:rolling of `type` about `rollingId`. */
export async function rollingStream(platform: RollingPlatform, type: string, rollingId: string): Promise<Envelope[]> {
  const entries = await platform.redis.xrange(STREAMS.rolling, '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[1]!) as Envelope)
    .filter((envelope) => envelope.event_type === type && envelope.aggregate_id === rollingId);
}

/** A worker's /health as an operator reads it. */
export async function healthOf(worker: StartedWorker): Promise<{ status: number; reason?: string }> {
  const response = await fetch(`${worker.url}/health`);
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, reason: body.reason };
}

// --- The brand's config, as staff change it ----------------------------------------------------

const UPDATE_CONTRIBUTIONS = `mutation ($id: ID!, $input: UpdateBrandConfigInput!) { updateBrandConfig(brandId: $id, input: $input) { id } }`;

/** Sets the brand's category contributions through the admin's GraphQL, as a staff member would. */
export async function setContributions(
  platform: RollingPlatform,
  brand: BrandRef,
  categoryContributions: { slotsBps: number; liveCasinoBps: number; tableBps: number; otherBps: number },
): Promise<void> {
  const staff = await platform.prisma.staff.create({ data: { username: `config_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true } });
  const answer = await platform.admin.graphql(UPDATE_CONTRIBUTIONS, { id: brand.id, input: { categoryContributions } }, signedIn(brand, 'staff', staff.id));
  if (answer.body.errors) throw new Error(`updateBrandConfig refused: ${JSON.stringify(answer.body.errors)}`);
}
