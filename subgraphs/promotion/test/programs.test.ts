/**
 * Programs end to end inside the domain: staff create them, the wallet's events (put on the
 * stream) fill the figures through the real promotion_worker, a period is settled on demand and
 * its items paid through the real rolling and wallet. Exact integer money at every boundary:
 * rounding down, minimums, caps, the budget, the brand's time zone at a day and a week boundary,
 * rolled-back bets. Every test that pays ends with ledger == balances. The schedule: schedule.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { localDay, periodOf } from '../src/program-rules';
import { bet, depositApproved, withdrawRequested } from '../../wallet/test/stream-events';
import {
  asPlayer,
  asStaff,
  type CouponPlatform,
  createProgram,
  dataOf,
  DISABLE_PROGRAM,
  ENABLE_PROGRAM,
  errorOf,
  itemsByPlayer,
  type ItemView,
  nodesOf,
  type Page,
  PLAYER_PAYOUTS,
  PREVIEW,
  type ProgramView,
  type RunView,
  settle,
  settlementCredits,
  staffActionsOn,
  startCouponPlatform,
  UPDATE_PROGRAM,
} from './helpers';

let platform: CouponPlatform;
beforeAll(async () => {
  platform = await startCouponPlatform();
  await platform.startWorker();
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;
const at = (instant: string) => new Date(instant);
/** Player ids in the order a run spends its budget (player id order). */
const sortedPlayers = (count: number) => Array.from({ length: count }, () => randomUUID()).sort();

/** Waits until every PENDING item of the run is PAID. */
async function paid(runId: string): Promise<void> {
  await waitFor('the run paid', async () => (await platform.prisma.settlementItem.count({ where: { runId, status: 'PENDING' } })) === 0, 15_000);
}

const settled = async (brand = demo(), programId: string, periodStart: string): Promise<RunView> =>
  dataOf(await settle(platform.promotion, brand, programId, periodStart)).settlePromotionPeriod;

describe('rebate', () => {
  it('pays each category its rate of the day, rounded down per category, with its rolling requirement, once however often it is settled', async () => {
    const program = await createProgram(platform.promotion, demo(), {
      kind: 'REBATE',
      categoryRates: [
        { category: 'SLOTS', bps: 100 },
        { category: 'LIVE_CASINO', bps: 550 },
      ],
      rollingMultiplierBps: 20_000,
    }, '2026-01-05');
    const [player, small] = [randomUUID(), randomUUID()];
    const undone = bet(demo(), player, { stake: 5_000n });
    await platform.publish(
      bet(demo(), player, { stake: 10_000n }).settled({ win: 20_000n, at: at('2026-01-05T00:00:00Z') }),
      bet(demo(), player, { stake: 2_345n }).settled({ at: at('2026-01-05T23:59:59.999Z') }),
      bet(demo(), player, { stake: 999n, category: 'LIVE_CASINO' }).settled({ at: at('2026-01-05T12:00:00Z') }),
      bet(demo(), player, { stake: 5_000n, category: 'TABLE' }).settled({ at: at('2026-01-05T12:00:00Z') }),
      undone.settled({ at: at('2026-01-05T13:00:00Z') }),
      // Another day's bet, and a rollback the next day of a bet of this one.
      bet(demo(), player, { stake: 100_000n }).settled({ at: at('2026-01-06T00:00:00Z') }),
      undone.rolledBack(at('2026-01-06T08:00:00Z')),
      bet(demo(), small, { stake: 99n }).settled({ at: at('2026-01-05T12:00:00Z') }),
    );

    // A dry run: 123.45 -> 1.23 on slots, 54.945 -> 0.54 on live casino; the table pays nothing; 0.99 % -> nothing.
    const { settlementPreview } = dataOf(await platform.promotion.graphql<{ settlementPreview: { settled: boolean; total: string; lines: Page<unknown> } }>(
      PREVIEW,
      { programId: program.id, periodStart: '2026-01-05' },
      asStaff(demo()),
    ));
    expect({ ...settlementPreview, lines: nodesOf(settlementPreview.lines) }).toEqual({
      periodStart: '2026-01-05',
      periodEnd: '2026-01-06',
      settled: false,
      total: '1.77',
      lines: [{ player: { id: player }, basis: '133.44', computed: '1.77', amount: '1.77', cappedBy: null }],
    });
    expect(await platform.prisma.settlementRun.count({ where: { programId: program.id } })).toBe(0);

    const run = await settled(demo(), program.id, '2026-01-05');
    expect(run).toMatchObject({ periodStart: '2026-01-05', periodEnd: '2026-01-06', total: '1.77', items: { totalCount: 1 } });
    const item = itemsByPlayer(run)[player]!;
    expect(item).toMatchObject({ basis: '133.44', computed: '1.77', amount: '1.77', cappedBy: null, rollingMultiplierBps: 20_000 });
    await paid(run.id);
    // Asked again (staff, or the schedule on another replica): the same run, nothing paid twice.
    expect((await settled(demo(), program.id, '2026-01-05')).id).toBe(run.id);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(await settlementCredits(platform.prisma, player)).toMatchObject([{ commandKey: `promotion.credit:${demo().id}:settlement:${item.id}`, amount: 177n }]);
    expect(await platform.prisma.rolling.findMany({ where: { playerId: player } })).toMatchObject([{ source: 'PROMOTION', sourceId: item.id, required: 354n }]);
    const payouts = dataOf(await platform.promotion.graphql<{ _entities: { promotionPayouts: Page<ItemView> }[] }>(PLAYER_PAYOUTS, { r: [{ __typename: 'Player', id: player }] }, asPlayer(demo(), player)));
    expect(nodesOf(payouts._entities[0]!.promotionPayouts)).toMatchObject([{ id: item.id, status: 'PAID', amount: '1.77', periodStart: '2026-01-05' }]);
    expect(errorOf(await platform.promotion.graphql(PLAYER_PAYOUTS, { r: [{ __typename: 'Player', id: player }] }, asPlayer(demo()))).code).toBe('FORBIDDEN');
    expect((await platform.prisma.promotionProgram.findUniqueOrThrow({ where: { id: program.id } })).spent).toBe(177n);
    await expectBooks(platform.admin, { [player]: 177n, [small]: null });
  });

  it('refuses a period not ended or before the program settles, a day that does not start a period, and settings that are wrong, changing nothing', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 10 }] }, '2026-01-01');
    expect(errorOf(await settle(platform.promotion, demo(), program.id, '2999-01-01')).code).toBe('BAD_USER_INPUT');
    const today = localDay(new Date(), 'UTC');
    expect(await settle(platform.promotion, demo(), program.id, today)).toMatchObject({
      body: { errors: [{ message: expect.stringContaining('has not ended'), extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    expect(await settle(platform.promotion, demo(), program.id, '2025-12-31')).toMatchObject({
      body: { errors: [{ message: expect.stringContaining('settles periods from 2026-01-01'), extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    expect(errorOf(await settle(platform.promotion, demo(), program.id, '2026-02-30')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await settle(platform.promotion, demo(), randomUUID(), '2026-01-01')).code).toBe('NOT_FOUND');
    const disabled = dataOf(await platform.promotion.graphql<{ disablePromotionProgram: { status: string } }>(DISABLE_PROGRAM, { id: program.id, reason: 'ended' }, asStaff(demo())));
    expect(disabled.disablePromotionProgram.status).toBe('DISABLED');
    expect(errorOf(await platform.promotion.graphql(DISABLE_PROGRAM, { id: program.id, reason: 'ended' }, asStaff(demo()))).code).toBe('CONFLICT');
    expect(errorOf(await settle(platform.promotion, demo(), program.id, '2026-01-01')).code).toBe('CONFLICT');
    expect(await platform.prisma.settlementRun.count({ where: { programId: program.id } })).toBe(0);
    const wrong = [
      { kind: 'REBATE', categoryRates: [] },
      { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 10_001 }] },
      { kind: 'REBATE', period: 'WEEKLY', categoryRates: [{ category: 'SLOTS', bps: 10 }] },
      { kind: 'CASHBACK', rateBps: 0 },
      { kind: 'CASHBACK', rateBps: 100, minPayout: '1.001' },
      { kind: 'CASHBACK', rateBps: 100, minPayout: '5.00', playerCap: '4.00' },
      { kind: 'LOSSBACK', rateBps: 100 },
    ];
    const before = await platform.prisma.promotionProgram.count();
    for (const input of wrong) {
      expect(errorOf(await platform.promotion.graphql(`mutation ($input: CreatePromotionProgramInput!) { createPromotionProgram(input: $input) { id } }`, { input: { name: 'x', rollingMultiplierBps: 0, ...input } }, asStaff(demo()))).code).toBe('BAD_USER_INPUT');
    }
    expect(await platform.prisma.promotionProgram.count()).toBe(before);
    expect(errorOf(await platform.promotion.graphql(`mutation ($input: CreatePromotionProgramInput!) { createPromotionProgram(input: $input) { id } }`, { input: { name: 'x', kind: 'CASHBACK', rateBps: 1, rollingMultiplierBps: 0 } }, asPlayer(demo()))).code).toBe('FORBIDDEN');
  });
});

describe('a new program', () => {
  it('settles from the first period after it was created: play before it existed is never paid', async () => {
    const daily = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 100 }] });
    const today = localDay(new Date(), 'UTC');
    expect(daily.settleFrom).toBe(periodOf('DAILY', today).end);
    expect(errorOf(await settle(platform.promotion, demo(), daily.id, periodOf('DAILY', today).start)).code).toBe('BAD_USER_INPUT');
    const weekly = await createProgram(platform.promotion, acme(), { kind: 'CASHBACK', period: 'WEEKLY', rateBps: 100 });
    expect(weekly.settleFrom).toBe(periodOf('WEEKLY', localDay(new Date(), 'Asia/Seoul')).end);
    // Disabled and enabled again in its first days: still from its first period.
    dataOf(await platform.promotion.graphql(DISABLE_PROGRAM, { id: daily.id, reason: 'paused' }, asStaff(demo())));
    const { enablePromotionProgram } = dataOf(await platform.promotion.graphql<{ enablePromotionProgram: ProgramView }>(ENABLE_PROGRAM, { id: daily.id, reason: 'back' }, asStaff(demo())));
    expect(enablePromotionProgram.settleFrom).toBe(daily.settleFrom);
  });
});

describe('disabling and enabling', () => {
  it('settles an enabled program from the current period: the periods while it was disabled are never settled', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 100 }] }, '2026-01-01');
    dataOf(await platform.promotion.graphql(DISABLE_PROGRAM, { id: program.id, reason: 'paused' }, asStaff(demo())));
    const { enablePromotionProgram } = dataOf(await platform.promotion.graphql<{ enablePromotionProgram: ProgramView }>(ENABLE_PROGRAM, { id: program.id, reason: 'back' }, asStaff(demo())));
    const today = localDay(new Date(), 'UTC');
    expect(enablePromotionProgram).toMatchObject({ status: 'ACTIVE', settleFrom: today });
    expect((await staffActionsOn(platform.prisma, program.id)).filter(({ action }) => action === 'promotion_program.enable')).toMatchObject([
      { before: { status: 'DISABLED', settle_from: '2026-01-01' }, after: { status: 'ACTIVE', reason: 'back', settle_from: today } },
    ]);
  });
});

describe('cashback', () => {
  it("pays a week's net loss (Monday to Sunday in Asia/Seoul) at its rate, rounded down, above the minimum and up to the cap", async () => {
    const program = await createProgram(platform.promotion, acme(), { kind: 'CASHBACK', period: 'WEEKLY', rateBps: 1_000, minPayout: '100', playerCap: '5000' }, '2026-03-02');
    const [player, big, under, winner] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await platform.publish(
      // Sunday 1 March 23:30 in Seoul: the week before.
      bet(acme(), player, { stake: 30_000n }).settled({ at: at('2026-03-01T14:30:00Z') }),
      // Monday 2 March 00:10 and Sunday 8 March 23:59:59.999 in Seoul: this week.
      bet(acme(), player, { stake: 20_000n }).settled({ win: 5_000n, at: at('2026-03-01T15:10:00Z') }),
      bet(acme(), player, { stake: 10_001n }).settled({ at: at('2026-03-08T14:59:59.999Z') }),
      // Monday 9 March 00:00 in Seoul: the next week.
      bet(acme(), player, { stake: 50_000n }).settled({ at: at('2026-03-08T15:00:00Z') }),
      bet(acme(), big, { stake: 100_000n }).settled({ at: at('2026-03-04T03:00:00Z') }),
      bet(acme(), under, { stake: 999n }).settled({ at: at('2026-03-04T03:00:00Z') }),
      bet(acme(), winner, { stake: 10_000n }).settled({ win: 10_001n, at: at('2026-03-04T03:00:00Z') }),
    );
    expect(errorOf(await settle(platform.promotion, acme(), program.id, '2026-03-03')).code).toBe('BAD_USER_INPUT');
    const run = await settled(acme(), program.id, '2026-03-02');
    expect(run).toMatchObject({ periodStart: '2026-03-02', periodEnd: '2026-03-09', total: '7500', items: { totalCount: 2 } });
    // 25,001 lost -> 2,500.1 -> 2,500; 100,000 -> 10,000 capped at 5,000; 999 -> 99 under the minimum; a net win pays nothing.
    expect(itemsByPlayer(run)).toMatchObject({
      [player]: { basis: '25001', computed: '2500', amount: '2500', cappedBy: null },
      [big]: { basis: '100000', computed: '10000', amount: '5000', cappedBy: 'PLAYER_CAP' },
    });
    await paid(run.id);
    await expectBooks(platform.admin, { [player]: 2_500n, [big]: 5_000n, [under]: null, [winner]: null });
  });
});

describe('lossback', () => {
  it('pays its rate of a deposit lost before any withdrawal, on the day the balance first fell under the threshold', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'LOSSBACK', rateBps: 2_000, lossThreshold: '1.00' }, '2026-01-11');
    const [all, withdrew, partly, earlier] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await platform.publish(
      // 100.00 deposited onto 5.00; down to 60.00, then 0.50: the whole deposit lost (10,450 dropped, at most 10,000).
      depositApproved(demo(), all, 10_000n, at('2026-01-12T10:00:00Z'), 10_500n),
      bet(demo(), all, { stake: 4_500n }).settled({ balanceAfter: 6_000n, at: at('2026-01-12T11:00:00Z') }),
      bet(demo(), all, { stake: 5_950n }).settled({ balanceAfter: 50n, at: at('2026-01-12T12:00:00Z') }),
      // A withdrawal requested before the balance fell: nothing lost.
      depositApproved(demo(), withdrew, 5_000n, at('2026-01-12T10:00:00Z'), 5_000n),
      withdrawRequested(demo(), withdrew, 2_000n, at('2026-01-12T10:30:00Z')),
      bet(demo(), withdrew, { stake: 3_000n }).settled({ balanceAfter: 0n, at: at('2026-01-12T11:00:00Z') }),
      // 30.00 deposited onto 50.00, down to 0.99: 79.01 dropped, at most the 30.00 deposit.
      depositApproved(demo(), partly, 3_000n, at('2026-01-12T10:00:00Z'), 8_000n),
      bet(demo(), partly, { stake: 7_901n }).settled({ balanceAfter: 99n, at: at('2026-01-12T23:00:00Z') }),
      // Under the threshold the day before: that day's period, not this one.
      depositApproved(demo(), earlier, 4_000n, at('2026-01-11T10:00:00Z'), 4_000n),
      bet(demo(), earlier, { stake: 3_950n }).settled({ balanceAfter: 50n, at: at('2026-01-11T11:00:00Z') }),
      bet(demo(), earlier, { stake: 50n }).settled({ balanceAfter: 0n, at: at('2026-01-12T11:00:00Z') }),
    );
    const run = await settled(demo(), program.id, '2026-01-12');
    expect(itemsByPlayer(run)).toEqual({
      [all]: expect.objectContaining({ basis: '100.00', computed: '20.00', amount: '20.00' }),
      [partly]: expect.objectContaining({ basis: '30.00', computed: '6.00', amount: '6.00' }),
    });
    const dayBefore = await settled(demo(), program.id, '2026-01-11');
    expect(itemsByPlayer(dayBefore)).toEqual({ [earlier]: expect.objectContaining({ basis: '39.50', amount: '7.90' }) });
    await paid(run.id);
    await paid(dayBefore.id);
    await expectBooks(platform.admin, { [all]: 2_000n, [partly]: 600n, [earlier]: 790n, [withdrew]: null });
  });
});

describe('lossback', () => {
  it('settles a deposit once per program, even when its threshold is lowered after it was paid', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'LOSSBACK', rateBps: 2_000, lossThreshold: '10.00' }, '2026-01-13');
    const player = randomUUID();
    await platform.publish(
      depositApproved(demo(), player, 10_000n, at('2026-01-13T10:00:00Z'), 10_000n),
      bet(demo(), player, { stake: 9_500n }).settled({ balanceAfter: 500n, at: at('2026-01-13T11:00:00Z') }),
    );
    const first = await settled(demo(), program.id, '2026-01-13');
    expect(itemsByPlayer(first)).toEqual({ [player]: expect.objectContaining({ basis: '95.00', amount: '19.00' }) });
    dataOf(await platform.promotion.graphql(UPDATE_PROGRAM, { id: program.id, input: { lossThreshold: '1.00' } }, asStaff(demo())));
    // Under the new threshold only the next day: the same deposit, paid already.
    await platform.publish(bet(demo(), player, { stake: 450n }).settled({ balanceAfter: 50n, at: at('2026-01-14T11:00:00Z') }));
    const next = await settled(demo(), program.id, '2026-01-14');
    expect(next.items.totalCount).toBe(0);
    await paid(first.id);
    await expectBooks(platform.admin, { [player]: 1_900n });
  });
});

describe('limits', () => {
  it('previews a page of lines by player id, its total and count over every player; a player reads a page of payouts', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 1_000 }] }, '2026-01-27');
    const players = sortedPlayers(3);
    await platform.publish(...players.map((player) => bet(demo(), player, { stake: 4_000n }).settled({ at: at('2026-01-27T12:00:00Z') })));
    type LinePage = Page<{ player: { id: string }; amount: string }>;
    const preview = async (variables: { first?: number; after?: string }) =>
      platform.promotion.graphql<{ settlementPreview: { total: string; lines: LinePage } }>(PREVIEW, { programId: program.id, periodStart: '2026-01-27', ...variables }, asStaff(demo()));
    const first = dataOf(await preview({ first: 2 })).settlementPreview;
    expect(first.total).toBe('12.00');
    expect(first.lines).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(nodesOf(first.lines).map(({ player }) => player.id)).toEqual(players.slice(0, 2));
    const next = dataOf(await preview({ first: 2, after: first.lines.pageInfo.endCursor! })).settlementPreview;
    expect(next.total).toBe('12.00');
    expect(next.lines).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
    expect(nodesOf(next.lines).map(({ player }) => player.id)).toEqual(players.slice(2));
    expect(errorOf(await preview({ first: 101 })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await preview({ after: 'not-a-cursor' })).code).toBe('BAD_USER_INPUT');

    const payouts = (variables: { first?: number; after?: string }) =>
      platform.promotion.graphql<{ _entities: { promotionPayouts: Page<ItemView> }[] }>(PLAYER_PAYOUTS, { r: [{ __typename: 'Player', id: players[0] }], ...variables }, asPlayer(demo(), players[0]));
    expect(errorOf(await payouts({ first: 101 })).code).toBe('BAD_USER_INPUT');
    expect(dataOf(await payouts({ first: 100 }))._entities[0]!.promotionPayouts).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('skips (BUDGET) a player whom the budget left would pay less than the minimum', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 1_000 }], minPayout: '2.00', budget: '5.00' }, '2026-01-26');
    const players = sortedPlayers(2);
    await platform.publish(...players.map((player) => bet(demo(), player, { stake: 4_000n }).settled({ at: at('2026-01-26T12:00:00Z') })));
    const { settlementPreview } = dataOf(await platform.promotion.graphql<{ settlementPreview: { lines: Page<{ player: { id: string }; amount: string; cappedBy: string | null }> } }>(
      PREVIEW,
      { programId: program.id, periodStart: '2026-01-26' },
      asStaff(demo()),
    ));
    // 4.00 each: the first is paid, the 1.00 left is under the 2.00 minimum.
    expect(nodesOf(settlementPreview.lines)).toMatchObject([
      { player: { id: players[0] }, amount: '4.00', cappedBy: null },
      { player: { id: players[1] }, amount: '0.00', cappedBy: 'BUDGET' },
    ]);
  });

  it('caps each player, then spends the budget in player id order: what is left, then nothing (BUDGET), in this and every later period', async () => {
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 1_000 }], playerCap: '3.00', budget: '5.00' }, '2026-01-19');
    const players = sortedPlayers(3);
    await platform.publish(...players.map((player) => bet(demo(), player, { stake: 4_000n }).settled({ at: at('2026-01-19T12:00:00Z') })));
    const run = await settled(demo(), program.id, '2026-01-19');
    expect(run.total).toBe('5.00');
    expect(players.map((player) => itemsByPlayer(run)[player])).toMatchObject([
      { computed: '4.00', amount: '3.00', cappedBy: 'PLAYER_CAP', status: 'PENDING' },
      { computed: '4.00', amount: '2.00', cappedBy: 'BUDGET', status: 'PENDING' },
      { computed: '4.00', amount: '0.00', cappedBy: 'BUDGET', status: 'SKIPPED' },
    ]);
    await paid(run.id);
    expect(await platform.prisma.promotionProgram.findUniqueOrThrow({ where: { id: program.id } })).toMatchObject({ spent: 500n, budget: 500n });

    await platform.publish(bet(demo(), players[0]!, { stake: 4_000n }).settled({ at: at('2026-01-20T12:00:00Z') }));
    const next = await settled(demo(), program.id, '2026-01-20');
    expect(next.total).toBe('0.00');
    expect(itemsByPlayer(next)[players[0]!]).toMatchObject({ amount: '0.00', cappedBy: 'BUDGET', status: 'SKIPPED' });
    // The budget cannot be lowered under what was spent; raised, later periods pay again.
    expect(errorOf(await platform.promotion.graphql(UPDATE_PROGRAM, { id: program.id, input: { budget: '4.99' } }, asStaff(demo()))).code).toBe('BAD_USER_INPUT');
    dataOf(await platform.promotion.graphql(UPDATE_PROGRAM, { id: program.id, input: { budget: '6.00' } }, asStaff(demo())));
    await platform.publish(bet(demo(), players[1]!, { stake: 4_000n }).settled({ at: at('2026-01-21T12:00:00Z') }));
    const raised = await settled(demo(), program.id, '2026-01-21');
    expect(itemsByPlayer(raised)[players[1]!]).toMatchObject({ computed: '4.00', amount: '1.00', cappedBy: 'BUDGET' });
    await paid(raised.id);
    await expectBooks(platform.admin, { [players[0]!]: 300n, [players[1]!]: 300n, [players[2]!]: null });
    expect(await staffActionsOn(platform.prisma, program.id)).toMatchObject([
      { action: 'promotion_program.create' },
      { action: 'promotion_program.update', before: { budget: '5.00' }, after: { budget: '6.00' } },
    ]);
  });
});

describe('the lists of a page of programs', () => {
  it("reads the runs of 20 programs, and the runs' items, in one statement per list", async () => {
    const players = sortedPlayers(2);
    const days = ['2026-03-02', '2026-03-03'];
    await platform.publish(...days.flatMap((day) => players.map((player) => bet(demo(), player, { stake: 1_000n }).settled({ at: at(`${day}T12:00:00Z`) }))));
    const programs = [];
    for (let index = 0; index < 3; index++) {
      const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 100 * (index + 1) }] }, days[0]);
      for (const day of days) await paid((await settled(demo(), program.id, day)).id);
      programs.push(program);
    }
    type Listed = { id: string; runs: { totalCount: number; edges: { node: { id: string; total: string; items: { totalCount: number; edges: { node: ItemView & { program: { id: string } } }[] } } }[] } };
    const LISTS = `{ promotionPrograms(first: 20) { edges { node { id runs(first: 5) { totalCount edges { node { id total
      items(first: 5, status: PAID) { totalCount edges { node { id periodStart amount program { id } } } } } } } } } } }`;

    platform.promotion.operations.length = 0;
    const listed = dataOf(await platform.promotion.graphql<{ promotionPrograms: { edges: { node: Listed }[] } }>(LISTS, {}, asStaff(demo()))).promotionPrograms.edges.map(({ node }) => node);
    // The programs' page and total; one statement for every program's runs, one for every run's items; the items' programs and runs by id.
    expect([...platform.promotion.operations].sort()).toEqual(['$queryRaw', '$queryRaw', 'PromotionProgram.count', 'PromotionProgram.findMany', 'PromotionProgram.findMany', 'SettlementRun.findMany']);

    expect(listed.slice(0, 3).map(({ id }) => id)).toEqual(programs.map(({ id }) => id).reverse());
    for (const [index, program] of listed.slice(0, 3).reverse().entries()) {
      expect(program.runs.totalCount).toBe(2);
      for (const { node: run } of program.runs.edges) {
        expect(run.items.totalCount).toBe(2);
        // SLOTS at (index + 1) % of 10.00 a day: 0.10, 0.20, 0.30 per player.
        expect(run.items.edges.map(({ node }) => [node.amount, node.program.id])).toEqual([[`0.${index + 1}0`, program.id], [`0.${index + 1}0`, program.id]]);
        expect(run.total).toBe(`0.${2 * (index + 1)}0`);
      }
      expect(program.runs.edges.map(({ node }) => node.items.edges[0]!.node.periodStart)).toEqual([...days].reverse());
    }
    for (const program of listed) {
      expect(program.runs.totalCount).toBe(await platform.prisma.settlementRun.count({ where: { programId: program.id } }));
    }
    await expectBooks(platform.admin, Object.fromEntries(players.map((player) => [player, 2n * (10n + 20n + 30n)])));
  }, 60_000);
});
