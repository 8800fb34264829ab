import { type BrandConfigContract, DomainError, ErrorCode, formatMoney } from '@rgb/contracts';
import type { Logger } from 'pino';
import type { BrandConfigs } from './brand-configs';
import type { BrandRef } from './request-context';

/** The requests a brand limits: deposits and withdrawals. */
export type LimitedRequest = 'deposit' | 'withdrawal';

const LIMIT_FIELDS: Record<LimitedRequest, { min: keyof BrandConfigContract['limits']; max: keyof BrandConfigContract['limits'] }> = {
  deposit: { min: 'min_deposit', max: 'max_deposit' },
  withdrawal: { min: 'min_withdrawal', max: 'max_withdrawal' },
};

/**
 * Refuses a new request whose amount lies outside the brand's limits (admin domain's brand
 * config): BAD_USER_INPUT naming the range, with it as `min`/`max`. It fails closed: without a
 * config to read (admin down and nothing cached, or a brand with no config) the request is
 * refused with SERVICE_UNAVAILABLE, never let through unlimited.
 */
export async function checkRequestLimits(configs: BrandConfigs, brand: BrandRef, request: LimitedRequest, amount: bigint, log: Logger): Promise<void> {
  const limits = (await brandConfigOf(configs, brand, request, log)).limits;
  const min = BigInt(limits[LIMIT_FIELDS[request].min]);
  const max = BigInt(limits[LIMIT_FIELDS[request].max]);
  if (amount >= min && amount <= max) return;
  const range = { min: formatMoney(min, brand.currency), max: formatMoney(max, brand.currency) };
  throw new DomainError(ErrorCode.BAD_USER_INPUT, `a ${request} must be between ${range.min} and ${range.max} ${brand.currency}`, range);
}

async function brandConfigOf(configs: BrandConfigs, brand: BrandRef, request: LimitedRequest, log: Logger): Promise<BrandConfigContract> {
  let config: BrandConfigContract | null;
  try {
    config = await configs.get(brand.id);
  } catch (error) {
    log.error({ err: error, brand_id: brand.id }, `the brand config could not be read: the ${request} is refused`);
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${request}s cannot be checked against the brand's limits right now; try again shortly`);
  }
  if (!config) {
    log.error({ brand_id: brand.id }, `the brand has no config, so no limits: the ${request} is refused`);
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${request}s are not available on this brand: it has no limits configured`);
  }
  return config;
}
