/**
 * What the agent tests share: the admin subgraph (brands, the agents' allow-list) and the agent
 * subgraph with an agent_worker, on one seeded database and a Redis database of their own (with
 * `money`, the real rolling, wallet and promotion subgraphs the agents' money moves through); agents
 * made as staff make them, allow-lists changed as the admin domain changes them, and the player
 * stream's registrations put where the player_worker puts them.
 */
import { randomUUID } from 'node:crypto';
import { adminSubgraph } from '@rgb/admin';
import { deadLetterStream, STREAMS, type TypedEnvelope } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { buildEnvelope } from '@rgb/events';
import { AGENT_BRANDS_CHANGED_CHANNEL, type BrandRef, type StartedWorker, type SubgraphDefinition } from '@rgb/kit';
import { freePort, isolatedRedisUrl, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, startTestSubgraph, type TestSubgraph, waitFor } from '@rgb/kit/testing';
import { loadPromotionConfig, promotionSubgraph } from '@rgb/promotion';
import { loadRollingConfig, rollingSubgraph } from '@rgb/rolling';
import { loadWalletConfig, walletSubgraph } from '@rgb/wallet';
import { Redis } from 'ioredis';
import { agentSubgraph, loadAgentConfig } from '../src/index';
import { loadAgentWorkerConfig, REFERRALS_GROUP, startAgentWorker } from '../src/worker';

export const AGENT_PASSWORD = 'agent-password-123';

export interface AgentPlatform {
  admin: SeededTestSubgraph;
  agent: TestSubgraph;
  worker: StartedWorker;
  prisma: PrismaClient;
  redis: Redis;
  brands: { demo: BrandRef; acme: BrandRef };
  /** With `money`: the services agents' money moves through. */
  wallet?: TestSubgraph;
  promotion?: TestSubgraph;
  /** Another agent API on the platform (closed with it); `env` adds to its config (a WALLET_URL nothing answers...). */
  startAgentApi(env: NodeJS.ProcessEnv): Promise<TestSubgraph>;
  /** A staff member with every permission and every brand, as the router forwards them on `brand`. */
  staff(brand: BrandRef): ReturnType<typeof signedIn>;
  close(): Promise<void>;
}

/** An address nothing answers at: a service that is down. */
export const downUrl = async () => `http://127.0.0.1:${await freePort()}`;

/** Boots the platform; `env` adds to the agent subgraph's config; `money` starts rolling, wallet and promotion too. */
export async function startAgentPlatform(env: NodeJS.ProcessEnv = {}, { money = false } = {}): Promise<AgentPlatform> {
  const redisUrl = await isolatedRedisUrl();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
    closers.push(() => admin.close());
    const shared = { NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: redisUrl, ADMIN_URL: admin.url };
    const databaseUrl = admin.database.url;
    const started = async <L, S>(subgraph: SubgraphDefinition<L, S>, subgraphEnv: NodeJS.ProcessEnv) => {
      const server = await startTestSubgraph(subgraph, databaseUrl, subgraphEnv);
      closers.push(() => server.close());
      return server;
    };
    let wallet: TestSubgraph | undefined;
    let promotion: TestSubgraph | undefined;
    if (money) {
      const rolling = await started(rollingSubgraph(loadRollingConfig(shared)), shared);
      const paying = { ...shared, ROLLING_URL: rolling.url };
      wallet = await started(walletSubgraph(loadWalletConfig(paying)), paying);
      const promotionEnv = { ...paying, WALLET_URL: wallet.url };
      promotion = await started(promotionSubgraph(loadPromotionConfig(promotionEnv)), promotionEnv);
    }
    const base = { ...shared, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '3', CALL_RETRY_MS: '100', ...(money ? { WALLET_URL: wallet!.url, PROMOTION_URL: promotion!.url } : {}) };
    const startAgentApi = (more: NodeJS.ProcessEnv) => {
      const agentEnv = { ...base, ...env, ...more };
      return started(agentSubgraph(loadAgentConfig(agentEnv)), agentEnv);
    };
    const agent = await startAgentApi({});
    const worker = await startAgentWorker(loadAgentWorkerConfig({ ...base, PORT: '0', METRICS_PORT: '0' }));
    closers.push(() => worker.close());
    const redis = new Redis(redisUrl);
    closers.push(async () => void redis.disconnect());
    const staffId = (await admin.deps.prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } })).id;
    return { admin, agent, worker, wallet, promotion, startAgentApi, prisma: admin.deps.prisma, redis, brands: admin.brands, staff: (brand) => signedIn(brand, 'staff', staffId), close };
  } catch (error) {
    await close();
    throw error;
  }
}

const CREATE = `mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id code } }`;

/** A new agent made through GraphQL by staff (under `parentId`), allowed on `brands`. */
export async function newAgent(platform: AgentPlatform, { parentId, brands = [platform.brands.demo] }: { parentId?: string; brands?: BrandRef[] } = {}): Promise<{ id: string; code: string }> {
  const code = `ag_${randomUUID().slice(0, 8)}`;
  const answer = await platform.agent.graphql<{ createAgent: { id: string; code: string } }>(
    CREATE,
    { input: { code, name: `Agent ${code}`, password: AGENT_PASSWORD, parentId, commissionRateBps: 100 } },
    platform.staff(platform.brands.demo),
  );
  if (!answer.body.data?.createAgent) throw new Error(`createAgent refused: ${JSON.stringify(answer.body.errors)}`);
  await allow(platform, answer.body.data.createAgent.id, brands);
  return answer.body.data.createAgent;
}

/** Sets the agent's allow-list as the admin domain does: its rows, then the notice. */
export async function allow(platform: AgentPlatform, agentId: string, brands: BrandRef[], { notify = true } = {}): Promise<void> {
  await platform.prisma.$transaction([
    platform.prisma.agentBrand.deleteMany({ where: { agentId } }),
    platform.prisma.agentBrand.createMany({ data: brands.map((brand) => ({ agentId, brandId: brand.id })) }),
  ]);
  if (notify) await platform.redis.publish(AGENT_BRANDS_CHANGED_CHANNEL, agentId);
}

/** A player's PLAYER_REGISTERED as the player outbox writes it. */
export function playerRegistered(brand: BrandRef, agentId: string | null, playerId: string = randomUUID(), at = new Date()): TypedEnvelope<'PLAYER_REGISTERED'> {
  return buildEnvelope('player.outbox', {
    type: 'PLAYER_REGISTERED',
    owner: { brandId: brand.id },
    brandId: brand.id,
    aggregateType: 'player',
    aggregateId: playerId,
    payload: { player_id: playerId, username: `p_${playerId.slice(0, 8)}`, nickname: null, agent_id: agentId, registered_at: at.toISOString() },
  });
}

/** Puts events on rgb:stream:player and waits until agent_worker has applied every entry there (throws on a dead letter). */
export async function publishPlayerEvents(platform: AgentPlatform, ...events: TypedEnvelope<'PLAYER_REGISTERED'>[]): Promise<void> {
  const transaction = platform.redis.multi();
  for (const event of events) transaction.xadd(STREAMS.player, '*', 'event', JSON.stringify(event));
  await transaction.exec();
  await waitFor(`${REFERRALS_GROUP} catching up with ${STREAMS.player}`, async () => {
    const deadLetters = await platform.redis.xrange(deadLetterStream(STREAMS.player), '-', '+');
    if (deadLetters.length > 0) throw new Error(`dead letters: ${JSON.stringify(deadLetters)}`);
    const last = (await platform.redis.xrevrange(STREAMS.player, '+', '-', 'COUNT', 1))[0]?.[0];
    const pending = (await platform.redis.xpending(STREAMS.player, REFERRALS_GROUP)) as [number, ...unknown[]];
    const groups = (await platform.redis.xinfo('GROUPS', STREAMS.player)) as unknown[][];
    const group = groups.map((fields) => Object.fromEntries(chunks(fields))).find((fields) => fields.name === REFERRALS_GROUP);
    return group !== undefined && group['last-delivered-id'] === last && pending[0] === 0;
  });
}

function chunks(fields: unknown[]): [unknown, unknown][] {
  const pairs: [unknown, unknown][] = [];
  for (let index = 0; index < fields.length; index += 2) pairs.push([fields[index], fields[index + 1]]);
  return pairs;
}
