/**
 * What the promotion tests share: the subgraphs a redemption goes through (admin for brand
 * configs, the real wallet and rolling, and promotion) on one seeded database, and the GraphQL
 * operations. Every test that moves money closes with the wallet's `expectBooks` on `admin`
 * (a subgraph of the same database).
 */
import { randomUUID } from 'node:crypto';
import { adminSubgraph } from '@rgb/admin';
import type { EventPayload } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { BrandRef, ForwardedContext, StartedWorker } from '@rgb/kit';
import {
  freePort,
  isolatedRedisUrl,
  type GraphQLResponse,
  type SeededTestSubgraph,
  signedIn,
  startSeededTestSubgraph,
  startTestSubgraph,
  type TestSubgraph,
} from '@rgb/kit/testing';
import { loadRollingConfig, rollingSubgraph } from '@rgb/rolling';
import { loadWalletConfig, walletSubgraph } from '@rgb/wallet';
import { Redis } from 'ioredis';
import { appendToWalletStream, groupCaughtUp, type WalletEvent } from '../../wallet/test/stream-events';
import { loadPromotionConfig, promotionSubgraph } from '../src/index';
import { ACTIVITY_GROUP, loadPromotionWorkerConfig, startPromotionWorker } from '../src/worker';

export interface CouponPlatform {
  admin: SeededTestSubgraph;
  wallet: TestSubgraph;
  rolling: TestSubgraph;
  promotion: TestSubgraph;
  prisma: PrismaClient;
  databaseUrl: string;
  redisUrl: string;
  brands: { demo: BrandRef; acme: BrandRef };
  /** Another promotion API on the same database whose wallet never answers (nothing listens there). */
  startPromotionWithWalletDown(): Promise<TestSubgraph>;
  /** A promotion_worker on the platform (polling jobs every 50 ms, retrying after 100 ms); `env` adds to its config. Closed with the platform unless closed before. */
  startWorker(env?: NodeJS.ProcessEnv): Promise<StartedWorker>;
  /**
   * Appends wallet events to rgb:stream:wallet as the wallet's outbox publisher does, and resolves
   * once promotion_worker's group has applied every entry (a worker must be running).
   */
  publish(...events: WalletEvent[]): Promise<void>;
  close(): Promise<void>;
}

const testEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent' };

export async function startCouponPlatform(): Promise<CouponPlatform> {
  const redisUrl = await isolatedRedisUrl();
  const admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  const databaseUrl = admin.database.url;
  const shared = { ...testEnv, REDIS_URL: redisUrl, ADMIN_URL: admin.url };
  const closers: (() => Promise<void>)[] = [];
  const redis = new Redis(redisUrl);
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne();
    redis.disconnect();
    await admin.close();
  };
  const startPromotion = async (walletUrl: string) => {
    const env = { ...shared, WALLET_URL: walletUrl, ROLLING_URL: rolling.url };
    const server = await startTestSubgraph(promotionSubgraph(loadPromotionConfig(env)), databaseUrl, env);
    closers.push(() => server.close());
    return server;
  };
  let rolling!: TestSubgraph;
  try {
    rolling = await startTestSubgraph(rollingSubgraph(loadRollingConfig(shared)), databaseUrl, shared);
    closers.push(() => rolling.close());
    const walletEnv = { ...shared, ROLLING_URL: rolling.url };
    const wallet = await startTestSubgraph(walletSubgraph(loadWalletConfig(walletEnv)), databaseUrl, walletEnv);
    closers.push(() => wallet.close());
    const promotion = await startPromotion(wallet.url);
    return {
      admin,
      wallet,
      rolling,
      promotion,
      prisma: admin.deps.prisma,
      databaseUrl,
      redisUrl,
      brands: admin.brands,
      startPromotionWithWalletDown: async () => startPromotion(`http://127.0.0.1:${await freePort()}`),
      async startWorker(env = {}) {
        const config = loadPromotionWorkerConfig({
          ...shared,
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_SIZE: '2',
          WALLET_URL: wallet.url,
          ROLLING_URL: rolling.url,
          PORT: '0',
          METRICS_PORT: '0',
          JOB_POLL_MS: '50',
          PAY_RETRY_MS: '100',
          ...env,
        });
        const worker = await startPromotionWorker(config);
        let closed: Promise<void> | null = null;
        const closeWorker = () => (closed ??= worker.close());
        closers.push(closeWorker);
        return { ...worker, close: closeWorker };
      },
      async publish(...events) {
        await appendToWalletStream(redis, events);
        await groupCaughtUp(redis, ACTIVITY_GROUP);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export const asPlayer = (brand: BrandRef, id: string = randomUUID()): ForwardedContext => signedIn(brand, 'player', id);
export const asStaff = (brand: BrandRef): ForwardedContext => signedIn(brand, 'staff', randomUUID());
/** The id of the context's caller (a player, a staff member). */
export const idOf = (context: ForwardedContext): string => (context.caller as { id: string }).id;

// --- GraphQL operations --------------------------------------------------------------------

const CAMPAIGN_FIELDS = 'id name amount rollingMultiplierBps validFrom validUntil totalLimit perPlayerLimit budget redeemedCount spent status endedAt';
export const COUPON_FIELDS = 'id code amount status rollingMultiplierBps redeemedAt paidAt player { id }';

export const CREATE_CAMPAIGN = `mutation ($input: CreateCouponCampaignInput!) { createCouponCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
export const ADD_CODE = 'mutation ($campaignId: ID!, $code: String!) { addCouponCode(campaignId: $campaignId, code: $code) { id code singleUse redeemedCount } }';
export const GENERATE_CODES = 'mutation ($campaignId: ID!, $count: Int!) { generateCouponCodes(campaignId: $campaignId, count: $count) { id code singleUse redeemedCount } }';
export const DISABLE_CAMPAIGN = `mutation ($id: ID!, $reason: String!) { disableCouponCampaign(id: $id, reason: $reason) { ${CAMPAIGN_FIELDS} } }`;
export const REDEEM = `mutation ($code: String!) { redeemCoupon(code: $code) { ${COUPON_FIELDS} } }`;
export const CAMPAIGN = `query ($id: ID!) { couponCampaign(id: $id) { ${CAMPAIGN_FIELDS}
  codes(first: 100) { totalCount edges { node { code singleUse redeemedCount } } }
  redemptions(first: 100) { totalCount edges { node { ${COUPON_FIELDS} } } } } }`;
export const CAMPAIGNS = `query ($status: CouponCampaignStatus) { couponCampaigns(status: $status, first: 100) { totalCount edges { node { id status } } } }`;
export const RETRY_COUPON = `mutation ($id: ID!) { retryCouponRedemption(id: $id) { ${COUPON_FIELDS} attempts lastError } }`;
export const COUPON_REDEMPTIONS = `query ($status: CouponStatus, $campaignId: ID) { couponRedemptions(status: $status, campaignId: $campaignId, first: 100) {
  totalCount edges { node { ${COUPON_FIELDS} attempts lastError } } } }`;
export const PLAYER_COUPONS = `query ($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) { ... on Player { coupons(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${COUPON_FIELDS} } } } } } }`;

export interface CampaignView {
  id: string;
  name: string;
  amount: string;
  rollingMultiplierBps: number;
  validFrom: string;
  validUntil: string | null;
  totalLimit: number | null;
  perPlayerLimit: number;
  budget: string | null;
  redeemedCount: number;
  spent: string;
  status: string;
  endedAt: string | null;
}
export interface CouponView {
  id: string;
  code: string;
  amount: string;
  status: string;
  rollingMultiplierBps: number;
  redeemedAt: string;
  paidAt: string | null;
  player: { id: string };
}

/** The data of a response that must have succeeded. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length || !response.body.data) throw new Error(`expected data, got ${JSON.stringify(response.body)}`);
  return response.body.data;
}

/** The error of a response that must have failed: its code and the facts in its extensions. */
export function errorOf(response: GraphQLResponse<unknown>): { code: string | undefined; extensions: Record<string, unknown> } {
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.body)}`);
  return { code: error.extensions?.code, extensions: (error.extensions ?? {}) as Record<string, unknown> };
}

export interface CampaignOptions {
  amount?: string;
  rollingMultiplierBps?: number;
  validFrom?: string | null;
  validUntil?: string | null;
  totalLimit?: number | null;
  perPlayerLimit?: number;
  budget?: string | null;
}

/** A campaign of `brand` created by staff, with a named code when `code` is given. */
export async function createCampaign(server: TestSubgraph, brand: BrandRef, options: CampaignOptions = {}, code?: string): Promise<CampaignView> {
  const input = { name: 'Test campaign', amount: '5.00', rollingMultiplierBps: 0, ...options };
  const { createCouponCampaign } = dataOf(await server.graphql<{ createCouponCampaign: CampaignView }>(CREATE_CAMPAIGN, { input }, asStaff(brand)));
  if (code) dataOf(await server.graphql(ADD_CODE, { campaignId: createCouponCampaign.id, code }, asStaff(brand)));
  return createCouponCampaign;
}

export const redeem = (server: TestSubgraph, player: ForwardedContext, code: string) => server.graphql<{ redeemCoupon: CouponView }>(REDEEM, { code }, player);

/** A code unique to the test run. */
export const uniqueCode = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`.toUpperCase();

/** The staff actions on `targetId` in promotion's outbox (STAFF_ACTION_RECORDED payloads, as the audit log receives them), oldest first. */
export async function staffActionsOn(prisma: PrismaClient, targetId: string): Promise<EventPayload<'STAFF_ACTION_RECORDED'>[]> {
  const rows = await prisma.promotionOutbox.findMany({ where: { eventType: 'STAFF_ACTION_RECORDED' }, orderBy: { id: 'asc' } });
  return rows.map((row) => (row.envelope as { payload: EventPayload<'STAFF_ACTION_RECORDED'> }).payload).filter((action) => action.target_id === targetId);
}

/** The wallet's credits of coupon redemptions to `player`. */
export const couponCredits = (prisma: PrismaClient, player: string) =>
  prisma.ledgerEntry.findMany({ where: { playerId: player, kind: 'PROMOTION_CREDIT' }, orderBy: { createdAt: 'asc' } });

// --- Programs -----------------------------------------------------------------------------------

const PROGRAM_FIELDS = 'id kind name period rateBps categoryRates { category bps } lossThreshold minPayout playerCap budget spent rollingMultiplierBps status settleFrom';
export const ITEM_FIELDS = 'id player { id } runId periodStart basis computed amount cappedBy rollingMultiplierBps status attempts lastError paidAt reversed';
const RUN_FIELDS = `id periodStart periodEnd requestedBy total program { id } items(first: 100) { totalCount edges { node { ${ITEM_FIELDS} } } }`;

export const CREATE_PROGRAM = `mutation ($input: CreatePromotionProgramInput!) { createPromotionProgram(input: $input) { ${PROGRAM_FIELDS} } }`;
export const UPDATE_PROGRAM = `mutation ($id: ID!, $input: UpdatePromotionProgramInput!) { updatePromotionProgram(id: $id, input: $input) { ${PROGRAM_FIELDS} } }`;
export const DISABLE_PROGRAM = `mutation ($id: ID!, $reason: String!) { disablePromotionProgram(id: $id, reason: $reason) { ${PROGRAM_FIELDS} } }`;
export const ENABLE_PROGRAM = `mutation ($id: ID!, $reason: String!) { enablePromotionProgram(id: $id, reason: $reason) { ${PROGRAM_FIELDS} } }`;
export const SETTLE = `mutation ($programId: ID!, $periodStart: String!) { settlePromotionPeriod(programId: $programId, periodStart: $periodStart) { ${RUN_FIELDS} } }`;
export const RUN = `query ($id: ID!) { settlementRun(id: $id) { ${RUN_FIELDS} } }`;
export const PREVIEW = `query ($programId: ID!, $periodStart: String!, $first: Int, $after: String) { settlementPreview(programId: $programId, periodStart: $periodStart) {
  periodStart periodEnd settled total lines(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { player { id } basis computed amount cappedBy } } } } }`;

/** A connection as the tests read it. */
export interface Page<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

/** The nodes of a page, in its order. */
export const nodesOf = <T>(page: Page<T>): T[] => page.edges.map(({ node }) => node);
export const RETRY_ITEM = `mutation ($id: ID!) { retrySettlementItem(id: $id) { ${ITEM_FIELDS} } }`;
export const REVERSE_ITEM = `mutation ($id: ID!, $amount: Money!, $reason: String!) { reverseSettlementItem(id: $id, amount: $amount, reason: $reason) { ${ITEM_FIELDS} } }`;
export const REVERSE_COUPON = `mutation ($id: ID!, $amount: Money!, $reason: String!) { reverseCouponRedemption(id: $id, amount: $amount, reason: $reason) { ${COUPON_FIELDS} reversed } }`;
export const PLAYER_PAYOUTS = `query ($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) { ... on Player { promotionPayouts(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ITEM_FIELDS} } } } } } }`;

export interface ProgramView {
  id: string;
  kind: string;
  period: string;
  spent: string;
  budget: string | null;
  status: string;
  settleFrom: string;
}
export interface ItemView {
  id: string;
  player: { id: string };
  runId: string;
  periodStart: string;
  basis: string;
  computed: string;
  amount: string;
  cappedBy: string | null;
  rollingMultiplierBps: number;
  status: string;
  attempts: number;
  lastError: string | null;
  paidAt: string | null;
  reversed: string;
}
export interface RunView {
  id: string;
  periodStart: string;
  periodEnd: string;
  requestedBy: string | null;
  total: string;
  items: { totalCount: number; edges: { node: ItemView }[] };
}

/**
 * A program of `brand` created by staff; `input` adds to a name and a zero rolling multiplier.
 * With `settleFrom`, the program's first period is then moved back to the one starting that day
 * in the database, as if it had been created then: staff settle only periods from it.
 */
export async function createProgram(server: TestSubgraph, brand: BrandRef, input: Record<string, unknown>, settleFrom?: string): Promise<ProgramView> {
  const full = { name: 'Test program', rollingMultiplierBps: 0, ...input };
  const program = dataOf(await server.graphql<{ createPromotionProgram: ProgramView }>(CREATE_PROGRAM, { input: full }, asStaff(brand))).createPromotionProgram;
  if (!settleFrom) return program;
  await server.deps.prisma.promotionProgram.update({ where: { id: program.id }, data: { settleFrom: new Date(`${settleFrom}T00:00:00Z`) } });
  return { ...program, settleFrom };
}

/** Staff settle the program's period starting on `periodStart`: the run, with its items. */
export const settle = (server: TestSubgraph, brand: BrandRef, programId: string, periodStart: string) =>
  server.graphql<{ settlePromotionPeriod: RunView }>(SETTLE, { programId, periodStart }, asStaff(brand));

/** The items of a run by player id. */
export const itemsByPlayer = (run: RunView): Record<string, ItemView> => Object.fromEntries(run.items.edges.map(({ node }) => [node.player.id, node]));

/** The wallet's credits of settlement items to `player`. */
export const settlementCredits = (prisma: PrismaClient, player: string) =>
  prisma.ledgerEntry.findMany({ where: { playerId: player, kind: 'PROMOTION_CREDIT', commandKey: { contains: ':settlement:' } }, orderBy: { createdAt: 'asc' } });
