/**
 * Requirements and turnover as rolling_worker applies the wallet's events from its real stream:
 * deposits make requirements, settled stakes (weighed by game category) fill the oldest active
 * one first and overflow into the next, rollbacks take back only from active ones, each bet
 * counts once whatever its events' number and order, and a completion is announced once and
 * confirmed by the wallet once. Real PostgreSQL, Redis and HTTP (admin, wallet, rolling).
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TURNOVER_GROUP } from '../src/worker';
import {
  bet,
  depositApproved,
  type RollingPlatform,
  requirementsOf,
  rollingOutbox,
  rollingStream,
  setContributions,
  startRollingPlatform,
  walletOutbox,
} from './support';

let platform: RollingPlatform;
beforeAll(async () => {
  platform = await startRollingPlatform();
  // Every category counts for something distinct, so a bet weighed by the wrong one shows.
  await setContributions(platform, platform.brands.acme, { slotsBps: 10_000, liveCasinoBps: 1_000, tableBps: 2_500, otherBps: 500 });
});
afterAll(() => platform?.close());

const acme = () => platform.brands.acme;
const player = () => randomUUID();
/** Approval times one second apart, oldest first, an hour ago. */
const approvedAt = (index: number) => new Date(Date.now() - 3_600_000 + index * 1_000);
const accruedOf = async (playerId: string) => (await requirementsOf(platform, acme(), playerId)).map(({ accrued, status }) => ({ accrued, status }));
const allocationsOf = (transactionId: string) =>
  platform.prisma.turnoverAllocation.findMany({ where: { transactionId }, select: { rollingId: true, amount: true }, orderBy: { amount: 'desc' } });

describe('requirements from deposits', () => {
  it("makes one requirement of the amount times the multiplier, once per deposit, made at its approval and expiring 30 days after it (acme's expiry)", async () => {
    const playerId = player();
    const at = approvedAt(0);
    const deposit = depositApproved(acme(), playerId, 50_000n, at);
    await platform.publish(deposit, deposit);
    const [requirement, ...others] = await requirementsOf(platform, acme(), playerId);
    expect(others).toEqual([]);
    expect(requirement).toMatchObject({
      brandId: acme().id,
      currency: 'KRW',
      source: 'DEPOSIT',
      sourceId: deposit.payload.request_id,
      amount: 50_000n,
      multiplierBps: 10_000,
      required: 50_000n,
      accrued: 0n,
      status: 'ACTIVE',
      expiresAt: new Date(at.getTime() + 30 * 86_400_000),
      createdAt: at,
      endedAt: null,
      walletConfirmedAt: null,
    });
    expect(await platform.prisma.processedDeposit.count({ where: { depositRequestId: deposit.payload.request_id } })).toBe(1);
  });

  it('makes none on a brand whose deposits carry no requirement, but records the deposit as processed', async () => {
    const playerId = player();
    const deposit = depositApproved(platform.brands.demo, playerId, 10_000n);
    await platform.publish(deposit);
    expect(await requirementsOf(platform, platform.brands.demo, playerId)).toEqual([]);
    expect(await platform.prisma.processedDeposit.findUnique({ where: { depositRequestId: deposit.payload.request_id } })).toMatchObject({ playerId });
  });
});

describe('turnover', () => {
  it("weighs each stake by its game category's contribution, rounded down; an unknown category counts as OTHER", async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 1_000_000n));
    const bets = [
      { category: 'SLOTS', stake: 10_000n, counts: 10_000n },
      { category: 'LIVE_CASINO', stake: 10_000n, counts: 1_000n },
      { category: 'TABLE', stake: 10_000n, counts: 2_500n },
      { category: 'CRASH', stake: 10_000n, counts: 500n },
      { category: 'slots', stake: 10_000n, counts: 500n },
      { category: 'LIVE_CASINO', stake: 19n, counts: 1n },
      { category: 'OTHER', stake: 19n, counts: 0n },
    ].map((spec) => ({ ...spec, bet: bet(acme(), playerId, spec) }));
    await platform.publish(...bets.map(({ bet }) => bet.settled()));
    expect(await accruedOf(playerId)).toEqual([{ accrued: 14_501n, status: 'ACTIVE' }]);
    for (const { bet: placed, counts } of bets) {
      const turnover = await platform.prisma.betTurnover.findUnique({ where: { providerCode_transactionId: { providerCode: 'demo', transactionId: placed.transactionId } } });
      // A bet that counts nothing is not recorded: it has nothing to give or take back.
      if (counts === 0n) expect(turnover).toBeNull();
      else expect(turnover).toMatchObject({ contribution: counts, rolledBack: false, playerId });
    }
  });

  it('fills the oldest active requirement first and overflows into the next, by approval time whatever the arrival order', async () => {
    const playerId = player();
    const [first, second, third] = [10_000n, 20_000n, 5_000n].map((amount, index) => depositApproved(acme(), playerId, amount, approvedAt(index)));
    await platform.publish(third!, first!, second!);
    const [one, two, three] = await requirementsOf(platform, acme(), playerId);
    expect([one!.sourceId, two!.sourceId, three!.sourceId]).toEqual([first!.payload.request_id, second!.payload.request_id, third!.payload.request_id]);

    const big = bet(acme(), playerId, { stake: 25_000n });
    await platform.publish(big.settled());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 15_000n, status: 'ACTIVE' },
      { accrued: 0n, status: 'ACTIVE' },
    ]);
    expect(await allocationsOf(big.transactionId)).toEqual([
      { rollingId: two!.id, amount: 15_000n },
      { rollingId: one!.id, amount: 10_000n },
    ]);

    // More than both need: they complete, and what is left over fills nothing.
    const bigger = bet(acme(), playerId, { stake: 12_000n });
    await platform.publish(bigger.settled());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 20_000n, status: 'COMPLETED' },
      { accrued: 5_000n, status: 'COMPLETED' },
    ]);
    expect(await allocationsOf(bigger.transactionId)).toEqual([
      { rollingId: two!.id, amount: 5_000n },
      { rollingId: three!.id, amount: 5_000n },
    ]);

    // Turnover before a requirement exists does not count toward it.
    await platform.publish(depositApproved(acme(), playerId, 1_000n, approvedAt(3)));
    expect((await accruedOf(playerId))[3]).toEqual({ accrued: 0n, status: 'ACTIVE' });
  });

  it('takes back what a rolled-back bet gave to requirements still active; a completed one stays completed', async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 10_000n, approvedAt(0)), depositApproved(acme(), playerId, 20_000n, approvedAt(1)));
    const first = bet(acme(), playerId, { stake: 15_000n });
    const second = bet(acme(), playerId, { stake: 3_000n, category: 'TABLE' });
    const third = bet(acme(), playerId, { stake: 4_000n });
    await platform.publish(first.settled(), second.settled(), third.settled());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 9_750n, status: 'ACTIVE' },
    ]);

    await platform.publish(first.rolledBack());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 4_750n, status: 'ACTIVE' },
    ]);
    // Another rollback event of the same bet takes nothing more.
    await platform.publish(first.rolledBack());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 4_750n, status: 'ACTIVE' },
    ]);
    await platform.publish(second.rolledBack());
    expect(await accruedOf(playerId)).toEqual([
      { accrued: 10_000n, status: 'COMPLETED' },
      { accrued: 4_000n, status: 'ACTIVE' },
    ]);
    // The completed requirement was announced once, and nothing took it back.
    const [completed] = await requirementsOf(platform, acme(), playerId);
    expect(await rollingOutbox(platform, 'ROLLING_COMPLETED', completed!.id)).toHaveLength(1);
  });

  it('counts a bet nothing when its rollback came before its settlement', async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 10_000n));
    const early = bet(acme(), playerId, { stake: 5_000n });
    await platform.publish(early.rolledBack(), early.settled());
    expect(await accruedOf(playerId)).toEqual([{ accrued: 0n, status: 'ACTIVE' }]);
    // A later settlement event of the same bet, and a rollback event again, change nothing either.
    await platform.publish(early.settled(), early.rolledBack());
    expect(await accruedOf(playerId)).toEqual([{ accrued: 0n, status: 'ACTIVE' }]);
    expect(
      await platform.prisma.betTurnover.findUniqueOrThrow({ where: { providerCode_transactionId: { providerCode: 'demo', transactionId: early.transactionId } } }),
    ).toMatchObject({ contribution: 0n, rolledBack: true });
    expect(await allocationsOf(early.transactionId)).toEqual([]);
  });

  it('counts each bet once: the same event twice, or another settlement event of the same bet', async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 100_000n));
    const once = bet(acme(), playerId, { stake: 10_000n });
    const settled = once.settled();
    const again = once.settled();
    await platform.publish(settled, settled);
    expect(await accruedOf(playerId)).toEqual([{ accrued: 10_000n, status: 'ACTIVE' }]);
    await platform.publish(again);
    expect(await accruedOf(playerId)).toEqual([{ accrued: 10_000n, status: 'ACTIVE' }]);
    // Both distinct events were applied (and recorded), the repeat of the first skipped.
    expect(await platform.prisma.rollingInbox.count({ where: { consumer: TURNOVER_GROUP, eventId: { in: [settled.event_id, again.event_id] } } })).toBe(2);
  });

  it('fills only requirements that had begun, and had not lapsed, when the bet settled, whenever its event is applied', async () => {
    const playerId = player();
    const deposit = depositApproved(acme(), playerId, 100_000n, approvedAt(0));
    await platform.publish(deposit);
    const [requirement] = await requirementsOf(platform, acme(), playerId);
    // Settled before the requirement began (a backlog applied late): it fills nothing, and is not even recorded.
    const before = bet(acme(), playerId, { stake: 7_000n });
    await platform.publish(before.settled({ at: new Date(approvedAt(0).getTime() - 1_000) }));
    expect(await accruedOf(playerId)).toEqual([{ accrued: 0n, status: 'ACTIVE' }]);
    expect(await platform.prisma.betTurnover.findUnique({ where: { providerCode_transactionId: { providerCode: 'demo', transactionId: before.transactionId } } })).toBeNull();
    // Settled while it ran, applied after it lapsed but before the expiry job ended it: it counts.
    await platform.prisma.rolling.update({ where: { id: requirement!.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const during = bet(acme(), playerId, { stake: 3_000n });
    await platform.publish(during.settled({ at: new Date(Date.now() - 120_000) }));
    expect(await accruedOf(playerId)).toEqual([{ accrued: 3_000n, status: 'ACTIVE' }]);
    // Settled after it lapsed: nothing.
    await platform.publish(bet(acme(), playerId, { stake: 5_000n }).settled());
    expect(await accruedOf(playerId)).toEqual([{ accrued: 3_000n, status: 'ACTIVE' }]);
  });

  it('counts nothing for a further win on a settled bet (stake 0)', async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 100_000n));
    const won = bet(acme(), playerId, { stake: 5_000n });
    await platform.publish(won.settled({ win: 2_000n }), won.settled({ stake: 0n, win: 7_000n }));
    expect(await accruedOf(playerId)).toEqual([{ accrued: 5_000n, status: 'ACTIVE' }]);
    // A win settling no stake of a bet never counted leaves no trace either.
    const winOnly = bet(acme(), playerId, { stake: 0n });
    await platform.publish(winOnly.settled({ win: 1_000n }));
    expect(await accruedOf(playerId)).toEqual([{ accrued: 5_000n, status: 'ACTIVE' }]);
    expect(await platform.prisma.betTurnover.count({ where: { transactionId: winOnly.transactionId } })).toBe(0);
  });
});

describe('completion', () => {
  it('announces ROLLING_COMPLETED once on the rolling stream and has the wallet confirm it once', async () => {
    const playerId = player();
    await platform.publish(depositApproved(acme(), playerId, 10_000n));
    const [requirement] = await requirementsOf(platform, acme(), playerId);
    const first = bet(acme(), playerId, { stake: 4_000n });
    const last = bet(acme(), playerId, { stake: 7_000n });
    await platform.publish(first.settled(), last.settled());
    const completed = await platform.prisma.rolling.findUniqueOrThrow({ where: { id: requirement!.id } });
    expect(completed).toMatchObject({ status: 'COMPLETED', accrued: 10_000n });
    expect(completed.endedAt).not.toBeNull();

    const expected = { rolling_id: requirement!.id, player_id: playerId, required_minor: '10000', accrued_minor: '10000', currency: 'KRW' };
    const [announced, ...more] = await rollingOutbox(platform, 'ROLLING_COMPLETED', requirement!.id);
    expect(more).toEqual([]);
    expect(announced!.envelope).toMatchObject({ brand_id: acme().id, aggregate_type: 'rolling', aggregate_id: requirement!.id, payload: expected });
    const streamed = await waitFor('ROLLING_COMPLETED on the rolling stream', async () => {
      const found = await rollingStream(platform, 'ROLLING_COMPLETED', requirement!.id);
      return found.length > 0 && found;
    });
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toMatchObject({ event_id: announced!.eventId, payload: expected });

    const confirmed = await waitFor('the wallet confirming the completion', async () => {
      const row = await platform.prisma.rolling.findUniqueOrThrow({ where: { id: requirement!.id } });
      return row.walletConfirmedAt !== null && row;
    });
    expect(confirmed).toMatchObject({ notifyAttempts: 0, nextNotifyAt: null, lastNotifyError: null });
    const [confirmation, ...again] = await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', requirement!.id);
    expect(again).toEqual([]);
    expect(confirmation!.envelope).toMatchObject({ brand_id: acme().id, payload: { rolling_id: requirement!.id, player_id: playerId } });

    // More turnover, and a rollback of a bet it counted, change nothing about a completed requirement.
    await platform.publish(bet(acme(), playerId, { stake: 9_000n }).settled(), first.rolledBack());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await platform.prisma.rolling.findUniqueOrThrow({ where: { id: requirement!.id } })).toMatchObject({ status: 'COMPLETED', accrued: 10_000n });
    expect(await rollingOutbox(platform, 'ROLLING_COMPLETED', requirement!.id)).toHaveLength(1);
    expect(await rollingStream(platform, 'ROLLING_COMPLETED', requirement!.id)).toHaveLength(1);
    expect(await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', requirement!.id)).toHaveLength(1);
  });
});
