import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, StreamConsumer } from '@rgb/events';
import { BrandCatalog, startWorker, type WorkerDefinition } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { expireCampaigns } from './campaigns';
import { loadPromotionWorkerConfig, type PromotionWorkerConfig } from './config';
import { promotionDomain } from './domain';
import { bonusPayer } from './payer';
import { closeOnWithdrawal, countSettlement, openDepositEpisode, takeBackRollback } from './projections';
import { payPendingRedemptions } from './redemptions';
import { payDueItems, settleEndedPeriods } from './settlements';

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
 * ended period of each active program (once whatever the number of replicas) and pays the items,
 * an item not delivered after its attempts FAILED and the worker unhealthy until staff retry it;
 * pays the coupon redemptions left pending, retrying until each is paid; expires coupon campaigns
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
        name: 'promotion_pending_coupon_redemptions',
        help: 'Coupon redemptions claimed but not paid yet',
        registers: [metrics.registry],
        collect: async function () {
          this.set(await prisma.couponRedemption.count({ where: { status: 'PENDING' } }));
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
        help: 'Settlement items that became FAILED after their attempts',
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
            const { paid, pending } = await payPendingRedemptions(prisma, payer, (brandId) => catalog.byId(brandId));
            return { worked: paid, pending };
          },
        },
        {
          name: 'settlement items -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payDueItems(prisma, payer, (brandId) => catalog.byId(brandId), {
              maxAttempts: config.SETTLEMENT_MAX_ATTEMPTS,
              onFailed: () => failedItems.inc(),
            });
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
