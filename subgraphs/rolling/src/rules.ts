import type { BrandConfigContract } from '@rgb/contracts';

/**
 * The arithmetic of wagering requirements, on integer minor units. Basis points: 10000 = 100 %.
 */
const BASIS = 10_000n;

/** Turnover a credit requires: rounded up, so a requirement is never less than its multiplier says. */
export function requiredTurnover(amount: bigint, multiplierBps: number): bigint {
  return (amount * BigInt(multiplierBps) + BASIS - 1n) / BASIS;
}

/** Turnover a stake counts for: rounded down, so a bet never counts for more than its category allows. */
export function weightedTurnover(stake: bigint, contributionBps: number): bigint {
  return (stake * BigInt(contributionBps)) / BASIS;
}

type Category = keyof BrandConfigContract['category_contributions'];

/** The contribution of a game category in the brand's config; a category the config does not name counts as OTHER. */
export function contributionBps(config: BrandConfigContract, category: string): number {
  const contributions = config.category_contributions;
  return Object.hasOwn(contributions, category) ? contributions[category as Category] : contributions.OTHER;
}

/** Share of the requirement reached, 0 to 1. */
export function progressOf({ required, accrued }: { required: bigint; accrued: bigint }): number {
  if (required <= 0n || accrued >= required) return 1;
  return Number((accrued * 1_000_000n) / required) / 1_000_000;
}

/** When a requirement created at `from` lapses under the brand's expiry (0 days: never). */
export function expiryOf(from: Date, expiryDays: number): Date | null {
  return expiryDays > 0 ? new Date(from.getTime() + expiryDays * 86_400_000) : null;
}
