/**
 * promotion_worker's projections of the wallet stream: per player, local day (the brand's time
 * zone) and game category, stakes and wins; each bet's stake once, taken back by its rollback from
 * the day it counted (or never counted when the rollback came first); deposits' lossback episodes.
 * Real PostgreSQL, Redis streams and the real worker.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bet, depositApproved, withdrawRequested } from '../../wallet/test/stream-events';
import { type CouponPlatform, startCouponPlatform } from './helpers';

let platform: CouponPlatform;
beforeAll(async () => {
  platform = await startCouponPlatform();
  await platform.startWorker();
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

const acme = () => platform.brands.acme;
const demo = () => platform.brands.demo;

/** A player's days as [day, category, stake, win], in order. */
async function daysOf(playerId: string): Promise<[string, string, bigint, bigint][]> {
  const rows = await platform.prisma.playerDayActivity.findMany({ where: { playerId }, orderBy: [{ day: 'asc' }, { gameCategory: 'asc' }] });
  return rows.map((row) => [row.day.toISOString().slice(0, 10), row.gameCategory, row.stake, row.win]);
}

describe('daily activity', () => {
  it("cuts days at the brand's local midnight (Asia/Seoul for acme, UTC for demo)", async () => {
    const player = randomUUID();
    const before = bet(acme(), player, { stake: 1_000n });
    const after = bet(acme(), player, { stake: 2_000n, category: 'LIVE_CASINO' });
    // 14:59:59.999Z is 23:59:59.999 in Seoul on 1 March; 15:00Z is midnight of 2 March.
    await platform.publish(
      before.settled({ win: 300n, at: new Date('2026-03-01T14:59:59.999Z') }),
      after.settled({ at: new Date('2026-03-01T15:00:00.000Z') }),
    );
    expect(await daysOf(player)).toEqual([
      ['2026-03-01', 'SLOTS', 1_000n, 300n],
      ['2026-03-02', 'LIVE_CASINO', 2_000n, 0n],
    ]);
    const demoPlayer = randomUUID();
    await platform.publish(bet(demo(), demoPlayer, { stake: 50n }).settled({ at: new Date('2026-03-01T15:00:00.000Z') }));
    expect(await daysOf(demoPlayer)).toEqual([['2026-03-01', 'SLOTS', 50n, 0n]]);
  });

  it('counts a stake once, a further win on its own day, and the same event twice once', async () => {
    const player = randomUUID();
    const played = bet(demo(), player, { stake: 700n });
    const settled = played.settled({ at: new Date('2026-04-10T23:00:00Z') });
    await platform.publish(settled, settled, played.settled({ stake: 0n, win: 1_500n, at: new Date('2026-04-11T01:00:00Z') }));
    expect(await daysOf(player)).toEqual([
      ['2026-04-10', 'SLOTS', 700n, 0n],
      ['2026-04-11', 'SLOTS', 0n, 1_500n],
    ]);
  });

  it('takes a rolled-back stake back from the day it counted, once; a rollback seen first leaves the bet counting nothing', async () => {
    const player = randomUUID();
    const kept = bet(demo(), player, { stake: 100n });
    const undone = bet(demo(), player, { stake: 400n });
    const first = bet(demo(), player, { stake: 900n });
    await platform.publish(kept.settled({ at: new Date('2026-05-01T10:00:00Z') }), undone.settled({ win: 50n, at: new Date('2026-05-01T11:00:00Z') }));
    // The rollback comes the next day: it takes the stake from 1 May; the win the wallet paid stays.
    await platform.publish(undone.rolledBack(new Date('2026-05-02T09:00:00Z')), undone.rolledBack(new Date('2026-05-02T09:00:01Z')));
    await platform.publish(first.rolledBack(new Date('2026-05-01T12:00:00Z')), first.settled({ at: new Date('2026-05-01T12:00:01Z') }));
    expect(await daysOf(player)).toEqual([['2026-05-01', 'SLOTS', 100n, 50n]]);
  });
});

describe('lossback episodes', () => {
  it("keeps each new low of an open deposit's balance, and closes it on a withdrawal or the next deposit", async () => {
    const player = randomUUID();
    const deposit = depositApproved(demo(), player, 10_000n, new Date('2026-06-01T10:00:00Z'), 10_500n);
    const lows = [8_000n, 9_000n, 3_000n].map((balanceAfter, index) =>
      bet(demo(), player, { stake: 1_000n }).settled({ balanceAfter, at: new Date(`2026-06-01T1${index + 1}:00:00Z`) }),
    );
    await platform.publish(deposit, ...lows);
    await platform.publish(withdrawRequested(demo(), player, 1_000n, new Date('2026-06-01T15:00:00Z')));
    await platform.publish(bet(demo(), player, { stake: 1_000n }).settled({ balanceAfter: 100n, at: new Date('2026-06-01T16:00:00Z') }));
    const second = depositApproved(demo(), player, 5_000n, new Date('2026-06-02T10:00:00Z'), 5_100n);
    await platform.publish(second, bet(demo(), player, { stake: 100n }).settled({ balanceAfter: 5_000n, at: new Date('2026-06-02T11:00:00Z') }));

    const episodes = await platform.prisma.depositEpisode.findMany({ where: { playerId: player }, include: { lows: { orderBy: { id: 'asc' } } }, orderBy: { approvedAt: 'asc' } });
    expect(episodes.map((episode) => [episode.amount, episode.balanceAfter, episode.closedAt?.toISOString() ?? null, episode.lows.map((low) => low.balance)])).toEqual([
      [10_000n, 10_500n, '2026-06-01T15:00:00.000Z', [8_000n, 3_000n]],
      [5_000n, 5_100n, null, [5_000n]],
    ]);
  });
});

describe('a brand the worker has not heard of', () => {
  it('is looked up again before its events fail: they count on its local days', async () => {
    // Created behind the catalogue's back: no change notification reaches the worker.
    const code = `late${randomUUID().slice(0, 8)}`;
    const created = await platform.prisma.brand.create({ data: { code, name: 'Late brand', currency: 'USD', timezone: 'Asia/Tokyo' } });
    const player = randomUUID();
    // 15:30Z is 00:30 the next day in Tokyo.
    await platform.publish(bet({ id: created.id, code, currency: 'USD' }, player, { stake: 300n }).settled({ at: new Date('2026-05-01T15:30:00Z') }));
    expect(await daysOf(player)).toEqual([['2026-05-02', 'SLOTS', 300n, 0n]]);
  });
});
