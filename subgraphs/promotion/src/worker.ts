import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, StreamConsumer } from '@rgb/events';
import { BrandCatalog, startWorker, type WorkerDefinition } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { expireCampaigns } from './campaigns';
import { loadPromotionWorkerConfig, type PromotionWorkerConfig } from './config';
import { promotionDomain } from './domain';
import { bonusPayer, failedPayouts, payDue } from './payer';
import type { TypedEnvelope } from '@rgb/contracts';
import type { OutboxTransaction } from '@rgb/events';
import {
  ACTIVITY_GROUP,
  advanceAppliedThrough,
  closeOnWithdrawal,
  countSettlement,
  daySettled,
  openDepositEpisode,
  takeBackRollback,
} from './projections';
import { couponRedemptionQueue } from './redemptions';
import { completePendingReversals } from './reversals';
import { settleAppliedPeriods, settlementItemQueue } from './settlements';

export { ACTIVITY_GROUP, loadPromotionWorkerConfig };

export const COUPON_EXPIRY_JOB = 'promotion.coupon_expiry';
export const SETTLEMENT_JOB = 'promotion.settlement';
const MINUTE_MS = 60_000;
/** Periods end at the brands' local midnights: each is settled within this of the figures being complete past its end. */
const SETTLEMENT_INTERVAL_MS = 5 * MINUTE_MS;

/**
 * promotion_worker: consumes the wallet stream into the programs' daily figures; settles each
 * ended period of each active program once the figures are complete past its end (once whatever
 * the number of replicas; a change to a day already settled is counted, not paid) and pays the
 * items; pays the coupon redemptions left pending; a payout refused, or not delivered after its
 * attempts, is FAILED and the worker unhealthy until staff retry or cancel it (the other payouts
 * paid at full pace meanwhile); expires coupon campaigns every minute; publishes promotion's
 * outbox (staff actions) to rgb:stream:promotion.
 */
export function promotionWorker(config: PromotionWorkerConfig): WorkerDefinition {
  // The catalogue is started by the loops, which the worker builds before it runs a job.
  let brands: BrandCatalog | undefined;
  /** The brand's time zone; a brand the catalogue misses (created since it loaded, its notice lost) is looked up again before failing. */
  const timezoneOf = async (brandId: string) => {
    if (brands && !brands.byId(brandId)) await brands.reload();
    const timezone = brands?.byId(brandId)?.timezone;
    if (!timezone) throw new Error(`brand ${brandId} is not in the catalogue`);
    return timezone;
  };
  return {
    name: promotionDomain.worker.name,
    async loops({ prisma, redis, blockingRedis, metrics, log, serviceTokens, closeWith }) {
      const catalog = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'promotion_worker', tokens: serviceTokens, log });
      closeWith({ close: () => catalog.stop() });
      await catalog.start();
      brands = catalog;
      const payer = closeWith(bonusPayer(config, { serviceTokens, log }, 'promotion_worker'));
      const redemptions = couponRedemptionQueue(prisma, payer);
      const items = settlementItemQueue(prisma, payer);
      new Gauge({
        name: 'promotion_coupon_redemptions',
        help: 'Coupon redemptions not paid, by status (PENDING on their way, FAILED refused or not delivered after their attempts)',
        labelNames: ['status'],
        registers: [metrics.registry],
        collect: async function () {
          for (const status of ['PENDING', 'FAILED'] as const) this.set({ status }, await prisma.couponRedemption.count({ where: { status } }));
        },
      });
      new Gauge({
        name: 'promotion_settlement_items',
        help: 'Settlement items not paid, by status (PENDING on their way, FAILED not delivered after their attempts)',
        labelNames: ['status'],
        registers: [metrics.registry],
        collect: async function () {
          for (const status of ['PENDING', 'FAILED'] as const) this.set({ status }, await prisma.settlementItem.count({ where: { status } }));
        },
      });
      const failedItems = new Counter({
        name: 'promotion_settlement_items_failed_total',
        help: 'Settlement items that became FAILED: refused, or not delivered after their attempts',
        registers: [metrics.registry],
      });
      const failedRedemptions = new Counter({
        name: 'promotion_coupon_redemptions_failed_total',
        help: 'Coupon redemptions that became FAILED in the worker: refused, or not delivered after their attempts',
        registers: [metrics.registry],
      });
      const lateEvents = new Counter({
        name: 'promotion_late_events_total',
        help: 'Wallet events applied to a day whose period a run had settled already: not paid (no clawback)',
        labelNames: ['event_type'],
        registers: [metrics.registry],
      });
      type ActivityType = 'BET_SETTLED_CONFIRMED' | 'BET_ROLLED_BACK_CONFIRMED' | 'DEPOSIT_APPROVED' | 'WITHDRAW_REQUESTED';
      /** Applies an event, moves applied_through, and counts and logs a change to a day already settled (`apply` answers the day it changed). */
      const applying =
        <T extends ActivityType>(apply: (tx: OutboxTransaction, event: TypedEnvelope<T>) => Promise<unknown>) =>
        async (tx: OutboxTransaction, event: TypedEnvelope<T>) => {
          const day = await apply(tx, event);
          await advanceAppliedThrough(tx, ACTIVITY_GROUP, event.occurred_at);
          if (typeof day === 'string' && (await daySettled(tx, event.brand_id, day))) {
            lateEvents.inc({ event_type: event.event_type });
            log.warn({ eventId: event.event_id, eventType: event.event_type, brandId: event.brand_id, day }, 'wallet event changes a day already settled: the change is not paid');
          }
        };
      return [
        ...(config.ENABLE_OUTBOX_POLLER
          ? [new OutboxPublisher({ prisma, redis, metrics, table: promotionDomain.outbox, stream: STREAMS[promotionDomain.produces] })]
          : []),
        new StreamConsumer({
          group: ACTIVITY_GROUP,
          stream: STREAMS.wallet,
          inbox: promotionDomain.inbox,
          prisma,
          redis,
          blockingRedis: blockingRedis(),
          metrics,
          log,
          handlers: {
            BET_SETTLED_CONFIRMED: applying(async (tx, event) => countSettlement(tx, await timezoneOf(event.brand_id), event)),
            BET_ROLLED_BACK_CONFIRMED: applying(async (tx, event) => takeBackRollback(tx, await timezoneOf(event.brand_id), event)),
            DEPOSIT_APPROVED: applying(openDepositEpisode),
            WITHDRAW_REQUESTED: applying(closeOnWithdrawal),
          },
        }),
        {
          name: 'pending coupon redemptions -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payDue(redemptions, payer, (brandId) => catalog.byId(brandId), { onFailed: () => failedRedemptions.inc() });
            return { worked: paid, pending };
          },
        },
        {
          name: 'settlement items -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payDue(items, payer, (brandId) => catalog.byId(brandId), { onFailed: () => failedItems.inc() });
            return { worked: paid, pending };
          },
        },
        {
          // Apart from the pay loops, which keep their pace: this one fails, and the worker is unhealthy, while any payout is FAILED.
          name: 'FAILED payouts (staff retry or cancel them)',
          idleDelayMs: 1_000,
          async tick() {
            await failedPayouts([redemptions, items]);
            return { worked: 0, pending: false };
          },
        },
        {
          name: 'pending reversals -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { completed, pending } = await completePendingReversals(prisma, payer, (brandId) => catalog.byId(brandId));
            return { worked: completed, pending };
          },
        },
      ];
    },
    jobs: ({ prisma, redis, log, metrics }) => {
      const failedPrograms = new Counter({
        name: 'promotion_settlement_program_failures_total',
        help: 'Scheduled settlements of a program that failed (the other programs were settled)',
        registers: [metrics.registry],
      });
      return [
        {
          name: COUPON_EXPIRY_JOB,
          intervalMs: MINUTE_MS,
          async run() {
            const expired = await expireCampaigns(prisma);
            if (expired > 0) log.info({ expired }, 'coupon campaigns expired');
          },
        },
        {
          name: SETTLEMENT_JOB,
          intervalMs: SETTLEMENT_INTERVAL_MS,
          async run() {
            await settleAppliedPeriods(prisma, redis, timezoneOf, { log, onProgramFailed: () => failedPrograms.inc() });
          },
        },
      ];
    },
  };
}

export const startPromotionWorker = (config: PromotionWorkerConfig) => startWorker(promotionWorker(config), config);
