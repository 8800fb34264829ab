import type { TokenService } from '@rgb/auth';
import { type Logger, ServiceClient } from '@rgb/kit';
import type { PromotionConfig } from './config';
import type { CouponPayer } from './redemptions';

export type ClosablePayer = CouponPayer & { close(): Promise<void> };

/** Clients of the services a redemption is paid through (the API and the worker alike), calling as `serviceName`. */
export function couponPayer(
  config: Pick<PromotionConfig, 'WALLET_URL' | 'ROLLING_URL' | 'PAY_RETRY_MS'>,
  { serviceTokens, log }: { serviceTokens: TokenService; log: Logger },
  serviceName: string,
): ClosablePayer {
  const wallet = new ServiceClient({ baseUrl: config.WALLET_URL, tokens: serviceTokens, serviceName });
  const rolling = new ServiceClient({ baseUrl: config.ROLLING_URL, tokens: serviceTokens, serviceName });
  return {
    wallet,
    rolling,
    log,
    retryMs: config.PAY_RETRY_MS,
    close: async () => {
      await Promise.all([wallet.close(), rolling.close()]);
    },
  };
}
