/**
 * admin.daily_figures: admin_worker keeps the approved deposits and withdrawals, the reversed
 * withdrawals and the registrations it reads on the wallet's and player's streams, and the job
 * rolls them up per brand and business day, the day cut in the brand's time zone; staff read them
 * with `dailyFigures`. Real PostgreSQL and Redis streams; the job is run by hand here (the worker
 * runs its consumers only).
 */
import { randomUUID } from 'node:crypto';
import type { Permission } from '@rgb/contracts';
import { type EmittedEventType, STREAMS } from '@rgb/contracts';
import type { DailyFigure } from '@rgb/db';
import { type BrandRef, type ForwardedContext, loadWorkerConfig, type StartedWorker, startWorker } from '@rgb/kit';
import { anonymous, firstError, isolatedRedisUrl, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, staffWith } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playerFigureHandlers, rollUpDailyFigures, walletFigureHandlers } from '../src/daily-figures';
import { adminSubgraph, adminWorker } from '../src/index';
import { applied, publishTogether, registration, request } from './events';

const DAILY_FIGURES = `query ($brandId: ID!, $from: String!, $to: String!) {
  dailyFigures(brandId: $brandId, from: $from, to: $to) {
    day depositsApprovedCount depositsApprovedAmount withdrawalsApprovedCount withdrawalsApprovedAmount
    withdrawalsReversedCount withdrawalsReversedAmount playersRegistered computedAt
  }
}`;

type Figures = { day: string; computedAt: string } & Record<string, unknown>;

let server: SeededTestSubgraph;
let worker: StartedWorker;
let redis: Redis;
/** Staff with reports.read on every brand, and on the demo brand only. */
let everyBrand: ForwardedContext;
let demoOnly: ForwardedContext;
let everyBrandId: string;

beforeAll(async () => {
  const redisUrl = await isolatedRedisUrl();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  // The admin worker's consumers without its jobs, which this test runs by hand.
  worker = await startWorker(
    { ...adminWorker, jobs: undefined },
    loadWorkerConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: server.database.url, REDIS_URL: redisUrl, DATABASE_POOL_SIZE: '2' }),
  );
  redis = new Redis(redisUrl);
  const { prisma } = server.deps;
  everyBrandId = (await prisma.staff.create({ data: { username: `all_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true } })).id;
  const demoOnlyId = (
    await prisma.staff.create({ data: { username: `demo_${randomUUID().slice(0, 8)}`, passwordHash: 'x', brands: { create: { brandId: server.brands.demo.id } } } })
  ).id;
  const reports: Permission[] = ['reports.read'];
  everyBrand = staffWith(server.brands.demo, everyBrandId, reports, { allBrands: true });
  demoOnly = staffWith(server.brands.demo, demoOnlyId, reports);
});
afterAll(async () => {
  redis?.disconnect();
  await worker?.close();
  await server?.close();
});

const at = (iso: string) => new Date(iso);

/** Publishes events of one stream together and waits until the daily figures' consumer has applied those it handles (it skips the others). */
async function consumed(stream: typeof STREAMS.wallet | typeof STREAMS.player, events: { event_id: string; event_type: EmittedEventType }[]): Promise<void> {
  await publishTogether(redis, stream, events);
  const handlers = stream === STREAMS.wallet ? walletFigureHandlers : playerFigureHandlers;
  await applied(server.deps.prisma, 'admin.daily-figures', events.filter((event) => Object.hasOwn(handlers, event.event_type)));
}

async function figuresOf(brand: BrandRef, from: string, to: string, as = everyBrand): Promise<Figures[]> {
  const response = await server.graphql<{ dailyFigures: Figures[] }>(DAILY_FIGURES, { brandId: brand.id, from, to }, as);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.dailyFigures;
}

const storedDays = (brand: BrandRef, from: string, to: string): Promise<DailyFigure[]> =>
  server.deps.prisma.dailyFigure.findMany({ where: { brandId: brand.id, day: { gte: at(`${from}T00:00:00Z`), lte: at(`${to}T00:00:00Z`) } }, orderBy: { day: 'asc' } });

const none = {
  depositsApprovedCount: 0,
  withdrawalsApprovedCount: 0,
  withdrawalsReversedCount: 0,
  playersRegistered: 0,
};

/** The same instants for both brands: around 15:00 UTC, which is midnight in Seoul, and around midnight UTC. */
async function publishAroundMidnights(brand: BrandRef, firstDeposit: string, secondDeposit: string, withdrawal: string): Promise<void> {
  const bounced = request(brand, withdrawal);
  const declinedDeposit = request(brand, '999');
  const declinedWithdrawal = request(brand, '888');
  await consumed(STREAMS.wallet, [
    request(brand, firstDeposit).depositApproved(at('2026-03-01T14:30:00Z')),
    request(brand, secondDeposit).depositApproved(at('2026-03-01T15:30:00Z')),
    bounced.withdrawApproved(at('2026-03-01T16:00:00Z')),
    bounced.withdrawDeclined('APPROVED', at('2026-03-02T16:00:00Z')),
    // Never approved: not counted.
    declinedDeposit.depositDeclined(at('2026-03-02T10:00:00Z')),
    declinedWithdrawal.withdrawDeclined('PENDING', at('2026-03-02T10:00:00Z')),
  ]);
  await consumed(STREAMS.player, [
    registration(brand, at('2026-03-01T14:59:59.999Z')),
    registration(brand, at('2026-03-01T15:00:00Z')),
    registration(brand, at('2026-03-01T23:59:59.999Z')),
    registration(brand, at('2026-03-02T00:00:00Z')),
  ]);
}

describe('the daily figures rollup', () => {
  it("cuts each brand's business days in its own time zone: acme in Asia/Seoul, demo in UTC", async () => {
    const { demo, acme } = server.brands;
    await publishAroundMidnights(acme, '10000', '25000', '5000');
    await publishAroundMidnights(demo, '1050', '225', '500');
    await rollUpDailyFigures(server.deps.prisma);

    // In Seoul 15:00 UTC is midnight: the second deposit, three registrations and the withdrawal fall on 2 March, the reversal on 3 March.
    expect(await figuresOf(acme, '2026-03-01', '2026-03-03')).toEqual([
      { ...none, day: '2026-03-01', depositsApprovedCount: 1, depositsApprovedAmount: '10000', withdrawalsApprovedAmount: '0', withdrawalsReversedAmount: '0', playersRegistered: 1, computedAt: expect.any(String) },
      {
        ...none,
        day: '2026-03-02',
        depositsApprovedCount: 1,
        depositsApprovedAmount: '25000',
        withdrawalsApprovedCount: 1,
        withdrawalsApprovedAmount: '5000',
        withdrawalsReversedAmount: '0',
        playersRegistered: 3,
        computedAt: expect.any(String),
      },
      { ...none, day: '2026-03-03', depositsApprovedAmount: '0', withdrawalsApprovedAmount: '0', withdrawalsReversedCount: 1, withdrawalsReversedAmount: '5000', computedAt: expect.any(String) },
    ]);
    // In UTC all of 1 March's instants are one day; 3 March had nothing and has no row.
    expect(await figuresOf(demo, '2026-03-01', '2026-03-03')).toEqual([
      {
        ...none,
        day: '2026-03-01',
        depositsApprovedCount: 2,
        depositsApprovedAmount: '12.75',
        withdrawalsApprovedCount: 1,
        withdrawalsApprovedAmount: '5.00',
        withdrawalsReversedAmount: '0.00',
        playersRegistered: 3,
        computedAt: expect.any(String),
      },
      { ...none, day: '2026-03-02', depositsApprovedAmount: '0.00', withdrawalsApprovedAmount: '0.00', withdrawalsReversedCount: 1, withdrawalsReversedAmount: '5.00', playersRegistered: 1, computedAt: expect.any(String) },
    ]);
  });

  it('writes the same figures on a repeat, counts a redelivered event once, and rewrites only the days that changed', async () => {
    const { demo, acme } = server.brands;
    const acmeBefore = await storedDays(acme, '2026-03-01', '2026-03-03');
    const demoBefore = await storedDays(demo, '2026-03-01', '2026-03-03');
    expect(acmeBefore).toHaveLength(3);

    // A repeat with nothing new leaves the March days as they were, computedAt included.
    await rollUpDailyFigures(server.deps.prisma);
    expect(await storedDays(acme, '2026-03-01', '2026-03-03')).toEqual(acmeBefore);

    // Every event counted again from scratch: the same figures.
    await server.deps.prisma.dailyFigureEvent.updateMany({ data: { rolledUp: false } });
    await rollUpDailyFigures(server.deps.prisma);
    const recomputed = await storedDays(acme, '2026-03-01', '2026-03-03');
    expect(recomputed.map(({ computedAt: _, ...figures }) => figures)).toEqual(acmeBefore.map(({ computedAt: _, ...figures }) => figures));
    expect(recomputed[0]!.computedAt.getTime()).toBeGreaterThan(acmeBefore[0]!.computedAt.getTime());
    const demoRecomputed = await storedDays(demo, '2026-03-01', '2026-03-03');

    // A late deposit of 1 March, published twice (a publisher retrying): it lands on its day once; acme's days are not rewritten.
    const late = request(demo, '100').depositApproved(at('2026-03-01T10:00:00Z'));
    await consumed(STREAMS.wallet, [late, late]);
    await rollUpDailyFigures(server.deps.prisma);
    const [firstOfMarch, secondOfMarch] = await storedDays(demo, '2026-03-01', '2026-03-03');
    expect(firstOfMarch).toMatchObject({ depositsApprovedCount: demoBefore[0]!.depositsApprovedCount + 1, depositsApprovedMinor: demoBefore[0]!.depositsApprovedMinor + 100n });
    expect(secondOfMarch).toEqual(demoRecomputed[1]);
    expect(await storedDays(acme, '2026-03-01', '2026-03-03')).toEqual(recomputed);
  });

  it("writes every brand's today and yesterday in its own time zone, with nothing to count too", async () => {
    await rollUpDailyFigures(server.deps.prisma);
    for (const brand of Object.values(server.brands)) {
      const { timezone } = await server.deps.prisma.brand.findUniqueOrThrow({ where: { id: brand.id } });
      const dayIn = (instant: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
      const today = dayIn(new Date());
      const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      const days = await figuresOf(brand, yesterday, today);
      expect(days.map(({ day }) => day)).toEqual([yesterday, today]);
      expect(days[0]).toMatchObject(none);
    }
  });

  it('sums amounts exactly, beyond what a double holds', async () => {
    const { demo, acme } = server.brands;
    // Ten deposits of 10^13 dollars and three cents: 10^16 + 3 cents, which a double rounds to 10^16.
    const deposits = [...Array.from({ length: 10 }, () => request(demo, '1000000000000000')), request(demo, '3')];
    await consumed(STREAMS.wallet, deposits.map((deposit) => deposit.depositApproved(at('2026-02-10T12:00:00Z'))));
    await consumed(STREAMS.wallet, [
      request(acme, '999999999999999').withdrawApproved(at('2026-02-10T12:00:00Z')),
      request(acme, '1').withdrawApproved(at('2026-02-10T12:00:01Z')),
    ]);
    await rollUpDailyFigures(server.deps.prisma);
    expect(await figuresOf(demo, '2026-02-10', '2026-02-10')).toEqual([
      expect.objectContaining({ depositsApprovedCount: 11, depositsApprovedAmount: '100000000000000.03' }),
    ]);
    expect(await figuresOf(acme, '2026-02-10', '2026-02-10')).toEqual([
      expect.objectContaining({ withdrawalsApprovedCount: 2, withdrawalsApprovedAmount: '1000000000000000' }),
    ]);
  });
});

describe('dailyFigures', () => {
  const ask = (brand: BrandRef, as: ForwardedContext | null, from = '2026-03-01', to = '2026-03-31') =>
    server.graphql(DAILY_FIGURES, { brandId: brand.id, from, to }, as);

  it('answers staff with reports.read for a brand in their scope', async () => {
    const answer = await ask(server.brands.demo, demoOnly);
    expect((answer.body.data as { dailyFigures: Figures[] }).dailyFigures.map(({ day }) => day)).toEqual(['2026-03-01', '2026-03-02']);
  });

  it('refuses a role without reports.read, staff of another brand, a player, an agent (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)', async () => {
    const { demo, acme } = server.brands;
    expect(firstError(await ask(demo, staffWith(demo, everyBrandId, ['brands.read', 'topinfo.read'], { allBrands: true })))).toEqual({
      code: 'FORBIDDEN',
      message: 'this operation needs the reports.read permission',
    });
    expect(firstError(await ask(acme, demoOnly))).toEqual({ code: 'FORBIDDEN', message: 'this brand is outside your scope' });
    expect(firstError(await ask(demo, signedIn(demo, 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await ask(demo, signedIn(demo, 'agent', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await ask(demo, anonymous(demo)))?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a day that does not exist', '2026-02-30', '2026-03-01'],
    ['a date with a time', '2026-03-01T00:00:00Z', '2026-03-02'],
    ['from after to', '2026-03-02', '2026-03-01'],
    ['more than 366 days', '2025-01-01', '2026-01-02'],
  ])('refuses %s with BAD_USER_INPUT', async (_what, from, to) => {
    expect(firstError(await ask(server.brands.demo, everyBrand, from, to))?.code).toBe('BAD_USER_INPUT');
  });

  it('answers 366 days at once, and NOT_FOUND for a brand that does not exist', async () => {
    expect(firstError(await ask(server.brands.demo, everyBrand, '2025-01-01', '2026-01-01'))).toBeUndefined();
    const unknown = { ...server.brands.demo, id: randomUUID() };
    expect(firstError(await ask(unknown, everyBrand))?.code).toBe('NOT_FOUND');
  });
});
