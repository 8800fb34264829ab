import type { TokenService } from '@rgb/auth';
import { rollingRoutes, walletRoutes } from '@rgb/contracts';
import { type BrandRef, type CallContext, type Logger, ServiceClient } from '@rgb/kit';
import type { PromotionConfig } from './config';

/** The services a bonus (a coupon redemption, a settlement item) is paid through. */
export interface BonusPayer {
  wallet: ServiceClient;
  rolling: ServiceClient;
  log: Logger;
  /** The first retry after a failed payment; doubling per failure, up to 5 minutes. */
  retryMs: number;
}

export type ClosablePayer = BonusPayer & { close(): Promise<void> };

/** Clients of the services a bonus is paid through (the API and the worker alike), calling as `serviceName`. */
export function bonusPayer(
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

/** How long after its `attempts`-th failure a payment is tried again: doubling from `retryMs`, up to 5 minutes. */
export const retryDelay = (retryMs: number, attempts: number) => Math.min(retryMs * 2 ** Math.min(attempts, 20), 300_000);

/** One bonus to pay: its source's id keys both calls, so paying it again pays nothing twice. */
export interface Bonus {
  /** The row that pays it: rolling's source id. */
  id: string;
  playerId: string;
  amount: bigint;
  rollingMultiplierBps: number;
  /** Rolling's requirement made for it already, or null. */
  rollingId: string | null;
  /** The wallet credit's key (`coupon:<id>`, `settlement:<id>`). */
  key: string;
  /** What the ledger entry says it is. */
  reference: string;
}

/**
 * Pays a bonus: rolling's requirement first (source id: the bonus's id; none for a zero
 * multiplier), kept by `keepRolling` as soon as it is made, so that no withdrawal can slip in
 * before it; then the wallet's credit under the bonus's key. Both are idempotent: a repeat after a
 * failure (or a crash) at any point pays once.
 */
export async function payBonus(payer: BonusPayer, brand: BrandRef, bonus: Bonus, keepRolling: (rollingId: string) => Promise<unknown>, context: CallContext = {}): Promise<void> {
  if (bonus.rollingMultiplierBps > 0 && bonus.rollingId === null) {
    const requirement = await payer.rolling.value(
      rollingRoutes.requirement,
      { brand, playerId: bonus.playerId, source: 'PROMOTION', sourceId: bonus.id, amount: bonus.amount, multiplierBps: bonus.rollingMultiplierBps, expiresAt: null },
      context,
    );
    if (requirement.rolling_id) await keepRolling(requirement.rolling_id);
  }
  await payer.wallet.value(
    walletRoutes.promotionCredit,
    { brand, playerId: bonus.playerId, amount: bonus.amount, key: bonus.key, reference: bonus.reference, causedBy: 'service:promotion', reason: null },
    context,
  );
}
