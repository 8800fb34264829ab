/**
 * The settlement schedule (promotion.settlement): each ended period of each active program once,
 * behind the activity consumer: a period is settled only once the
 * consumer has applied the wallet stream past its end, so an event still on its way (the worker
 * down over midnight, a publishing lag) is in the run; an event that changes a day already
 * settled is counted and logged, not lost silently. Real PostgreSQL, Redis and promotion_worker.
 */
import { randomUUID } from 'node:crypto';
import type { PromotionProgram } from '@rgb/db';
import { waitFor } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { appendToWalletStream, bet, groupCaughtUp } from '../../wallet/test/stream-events';
import { localDay } from '../src/program-rules';
import { settleAppliedPeriods } from '../src/settlements';
import { ACTIVITY_GROUP, SETTLEMENT_JOB } from '../src/worker';
import { type CouponPlatform, createProgram, startCouponPlatform } from './helpers';

let platform: CouponPlatform;
let redis: Redis;
beforeAll(async () => {
  platform = await startCouponPlatform();
  redis = new Redis(platform.redisUrl);
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await platform?.close();
});

const demo = () => platform.brands.demo;
const today = () => localDay(new Date(), 'UTC');
/** The schedule's options: the subgraph's (silent) log, and failed programs not expected. */
const schedule = (onProgramFailed: (program: PromotionProgram) => void = (program) => expect.fail(`program ${program.id} failed`)) => ({
  log: platform.promotion.deps.log,
  onProgramFailed,
});
const day = (offset: number) => new Date(Date.parse(`${today()}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

/** Waits until every PENDING item of the run is PAID. */
async function paid(runId: string): Promise<void> {
  await waitFor('the run paid', async () => (await platform.prisma.settlementItem.count({ where: { runId, status: 'PENDING' } })) === 0, 15_000);
}

describe(`the schedule (${SETTLEMENT_JOB})`, () => {
  it('settles each ended period since the program began once, whatever the number of replicas, and pays it', async () => {
    const worker = await platform.startWorker();
    // As if the program had been created five days ago.
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 250 }] }, day(-5));
    const player = randomUUID();
    // The last event applied is of now: the figures are complete up to it.
    await platform.publish(bet(demo(), player, { stake: 10_099n }).settled({ at: new Date(`${day(-4)}T12:00:00Z`) }), bet(demo(), randomUUID(), { stake: 1n }).settled({ at: new Date() }));
    // The job's window made due again, as the next one would be.
    await platform.prisma.$executeRaw`
      UPDATE platform.scheduled_job SET last_success_window_start = last_success_window_start - interval_ms * interval '1 millisecond' WHERE name = ${SETTLEMENT_JOB}`;
    const runs = await waitFor('two periods settled', async () => {
      const found = await platform.prisma.settlementRun.findMany({ where: { programId: program.id, periodStart: { lte: new Date(`${day(-4)}T00:00:00Z`) } }, orderBy: { periodStart: 'asc' }, include: { items: true } });
      return found.length === 2 && found;
    }, 15_000);
    expect(runs.map((run) => [run.periodStart.toISOString().slice(0, 10), run.requestedBy, run.total, run.items.map((item) => item.amount)])).toEqual([
      [day(-5), null, 0n, []],
      [day(-4), null, 252n, [252n]],
    ]);
    await paid(runs[1]!.id);
    await worker.close();
    await expectBooks(platform.admin, { [player]: 252n });
  });
});

describe('the schedule behind the activity consumer', () => {
  it('settles no period while the consumer has not applied the stream, then settles it with every event; a late rollback is counted and logged', async () => {
    const applied = await platform.startWorker();
    await platform.publish(bet(demo(), randomUUID(), { stake: 100n }).settled({ at: new Date() }));
    await applied.close();
    const program = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 250 }] }, day(-2));
    const player = randomUUID();
    const played = bet(demo(), player, { stake: 10_099n });
    // On the stream, not applied yet: the worker is down.
    await appendToWalletStream(redis, [played.settled({ at: new Date(`${day(-2)}T12:00:00Z`) })]);

    expect(await settleAppliedPeriods(platform.prisma, redis, () => 'UTC', schedule())).toBe(0);
    expect(await platform.prisma.settlementRun.count({ where: { programId: program.id } })).toBe(0);

    const worker = await platform.startWorker();
    await groupCaughtUp(redis, ACTIVITY_GROUP);
    await settleAppliedPeriods(platform.prisma, redis, () => 'UTC', schedule());
    const run = await platform.prisma.settlementRun.findFirstOrThrow({ where: { programId: program.id, periodStart: new Date(`${day(-2)}T00:00:00Z`) }, include: { items: true } });
    expect(run.items).toMatchObject([{ playerId: player, amount: 252n }]);
    await paid(run.id);

    // Rolled back after its day was paid: no clawback, but counted and logged.
    await platform.publish(played.rolledBack(new Date()));
    expect(await (await fetch(`${worker.metricsUrl}/metrics`)).text()).toMatch(/promotion_late_events_total{[^}]*event_type="BET_ROLLED_BACK_CONFIRMED"[^}]*} 1\n/);
    await worker.close();
    await expectBooks(platform.admin, { [player]: 252n });
  }, 60_000);
});

describe('a program that cannot be settled', () => {
  it('is logged and counted, the other programs are settled, and the turn still fails', async () => {
    const worker = await platform.startWorker();
    const player = randomUUID();
    await platform.publish(bet(demo(), player, { stake: 4_000n }).settled({ at: new Date(`${day(-1)}T12:00:00Z`) }), bet(demo(), randomUUID(), { stake: 1n }).settled({ at: new Date() }));
    await worker.close();
    // Created first, of a brand the worker's catalogue does not know: its time zone cannot be found.
    const broken = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 100 }] }, day(-1));
    const sound = await createProgram(platform.promotion, demo(), { kind: 'REBATE', categoryRates: [{ category: 'SLOTS', bps: 1_000 }] }, day(-1));
    await platform.prisma.promotionProgram.update({ where: { id: broken.id }, data: { brandId: randomUUID() } });
    const zones = new Map([[demo().id, 'UTC'], [platform.brands.acme.id, 'Asia/Seoul']]);
    const timezoneOf = (brandId: string) => {
      const zone = zones.get(brandId);
      if (!zone) throw new Error(`brand ${brandId} is not in the catalogue`);
      return zone;
    };
    const failed: string[] = [];
    await expect(settleAppliedPeriods(platform.prisma, redis, timezoneOf, schedule((program) => failed.push(program.id)))).rejects.toThrow('1 program(s) could not be settled');
    expect(failed).toEqual([broken.id]);
    expect(await platform.prisma.settlementRun.count({ where: { programId: broken.id } })).toBe(0);
    const run = await platform.prisma.settlementRun.findFirstOrThrow({ where: { programId: sound.id, periodStart: new Date(`${day(-1)}T00:00:00Z`) }, include: { items: true } });
    expect(run.items).toMatchObject([{ playerId: player, amount: 400n, status: 'PENDING' }]);
  });
});
