import { baseLocalDefaults, loadConfig, subgraphEnv, workerEnv } from '@rgb/kit';
import { z } from 'zod';
import { promotionDomain } from './domain';

/** The services a redemption is paid through: the same for the API and the worker. */
const payingServices = {
  /** Where bonuses are credited (promotion credits). */
  WALLET_URL: z.url().default('http://127.0.0.1:8011'),
  /** Where a bonus's wagering requirement is made, before its credit. */
  ROLLING_URL: z.url().default('http://127.0.0.1:8013'),
  /** The first retry of a redemption whose payment failed; each further one waits twice as long, up to 5 minutes. */
  PAY_RETRY_MS: z.coerce.number().int().positive().default(1_000),
  /**
   * Failed attempts to pay a coupon redemption or a settlement item before it is FAILED (and
   * promotion_worker unhealthy until staff retry it); a refusal of the wallet or rolling fails it at once.
   */
  PAY_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
};

export const promotionEnv = subgraphEnv(promotionDomain.api.port).extend(payingServices);
export type PromotionConfig = z.infer<typeof promotionEnv>;

export function loadPromotionConfig(env: NodeJS.ProcessEnv = process.env): PromotionConfig {
  return loadConfig(promotionEnv, { env, localDefaults: baseLocalDefaults });
}

export const promotionWorkerEnv = workerEnv(promotionDomain.worker.port).extend(payingServices);
export type PromotionWorkerConfig = z.infer<typeof promotionWorkerEnv>;

export function loadPromotionWorkerConfig(env: NodeJS.ProcessEnv = process.env): PromotionWorkerConfig {
  return loadConfig(promotionWorkerEnv, { env, localDefaults: baseLocalDefaults });
}
