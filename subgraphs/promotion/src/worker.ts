import { BrandCatalog, startWorker, type WorkerDefinition } from '@rgb/kit';
import { Gauge } from 'prom-client';
import { expireCampaigns } from './campaigns';
import { loadPromotionWorkerConfig, type PromotionWorkerConfig } from './config';
import { promotionDomain } from './domain';
import { couponPayer } from './payer';
import { payPendingRedemptions } from './redemptions';

export { loadPromotionWorkerConfig };

export const COUPON_EXPIRY_JOB = 'promotion.coupon_expiry';
const MINUTE_MS = 60_000;

/**
 * promotion_worker: pays the coupon redemptions left pending (a wallet or rolling that did not
 * answer), retrying until each is paid, and expires coupon campaigns every minute (once whatever
 * the number of replicas). COUPON_EXPIRED stays reserved: promotion has no stream yet.
 */
export function promotionWorker(config: PromotionWorkerConfig): WorkerDefinition {
  return {
    name: promotionDomain.worker.name,
    async loops({ prisma, metrics, log, serviceTokens, closeWith }) {
      const brands = new BrandCatalog({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'promotion_worker', tokens: serviceTokens, log });
      closeWith({ close: () => brands.stop() });
      await brands.start();
      const payer = closeWith(couponPayer(config, { serviceTokens, log }, 'promotion_worker'));
      new Gauge({
        name: 'promotion_pending_coupon_redemptions',
        help: 'Coupon redemptions claimed but not paid yet',
        registers: [metrics.registry],
        collect: async function () {
          this.set(await prisma.couponRedemption.count({ where: { status: 'PENDING' } }));
        },
      });
      return [
        {
          name: 'pending coupon redemptions -> wallet',
          idleDelayMs: 1_000,
          async tick() {
            const { paid, pending } = await payPendingRedemptions(prisma, payer, (brandId) => brands.byId(brandId));
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
    ],
  };
}

export const startPromotionWorker = (config: PromotionWorkerConfig) => startWorker(promotionWorker(config), config);
