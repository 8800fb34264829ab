import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, StreamConsumer } from '@rgb/events';
import { BrandCatalog, startWorker, type WorkerDefinition } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { expireCampaigns } from './campaigns';
import { loadPromotionWorkerConfig, type PromotionWorkerConfig } from './config';
import { promotionDomain } from './domain';
import { bonusPayer, payDue } from './payer';
import { closeOnWithdrawal, countSettlement, openDepositEpisode, takeBackRollback } from './projections';
import { couponRedemptionQueue } from './redemptions';
import { settleEndedPeriods, settlementItemQueue } from './settlements';

export { loadPromotionWorkerConfig };

export const COUPON_EXPIRY_JOB = 'promotion.coupon_expiry';
export const SETTLEMENT_JOB = 'promotion.settlement';
/** The consumer group (and inbox consumer) that applies the wallet's events to the programs' figures. */
export const ACTIVITY_GROUP = 'promotion.activity';
const MINUTE_MS = 60_000;
/** Periods end at the brands' local midnights: each is settled within this of its end. */
const SETTLEMENT_INTERVAL_MS = 5 * MINUTE_MS;

/**
 * promotion_worker: consumes the wallet stream into the programs' daily figures; settles each
 * ended period of each active program (once whatever the number of replicas) and pays the items;
 * pays the coupon redemptions left pending; a payout refused, or not delivered after its attempts,
 * is FAILED and the worker unhealthy until staff retry it; expires coupon campaigns
 * every minute; publishes promotion's outbox (staff actions) to rgb:stream:promotion.
 */
export function promotionWorker(config: PromotionWorkerConfig): WorkerDefinition {
  // The catalogue is started by the loops, which the worker builds before it runs a job.
  let brands: BrandCatalog | undefined;
  const timezoneOf = (brandId: string) => {
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
            BET_SETTLED_CONFIRMED: (tx, event) => countSettlement(tx, timezoneOf(event.brand_id), event),
            BET_ROLLED_BACK_CONFIRMED: (tx, event) => takeBackRollback(tx, timezoneOf(event.brand_id), event),
            DEPOSIT_APPROVED: openDepositEpisode,
            WITHDRAW_REQUESTED: closeOnWithdrawal,
          },
        }),
        {
          name: 'pending coupon redemptions -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payDue(couponRedemptionQueue(prisma, payer), payer, (brandId) => catalog.byId(brandId), { onFailed: () => failedRedemptions.inc() });
            return { worked: paid, pending };
          },
        },
        {
          name: 'settlement items -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payDue(settlementItemQueue(prisma, payer), payer, (brandId) => catalog.byId(brandId), { onFailed: () => failedItems.inc() });
            return { worked: paid, pending };
          },
        },
      ];
    },
    jobs: ({ prisma, log }) => [
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
          const runs = await settleEndedPeriods(prisma, timezoneOf);
          if (runs > 0) log.info({ runs }, 'program periods settled');
        },
      },
    ],
  };
}

export const startPromotionWorker = (config: PromotionWorkerConfig) => startWorker(promotionWorker(config), config);
