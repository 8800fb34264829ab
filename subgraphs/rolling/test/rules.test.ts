/**
 * The arithmetic of wagering requirements: a requirement rounds up, a bet's weighted turnover
 * rounds down, a category the brand's config does not name counts as OTHER, progress runs 0 to 1.
 */
import { randomUUID } from 'node:crypto';
import type { BrandConfigContract } from '@rgb/contracts';
import { describe, expect, it } from 'vitest';
import { contributionBps, expiryOf, progressOf, requiredTurnover, weightedTurnover } from '../src/rules';

const config: BrandConfigContract = {
  brand_id: randomUUID(),
  currency: 'KRW',
  deposit_rolling_multiplier_bps: 10_000,
  category_contributions: { SLOTS: 10_000, LIVE_CASINO: 1_000, TABLE: 500, OTHER: 250 },
  deposit_accounts: [],
  limits: { min_deposit: '1', max_deposit: '100', min_withdrawal: '1', max_withdrawal: '100' },
  stale_pending_after_minutes: { deposit: 30, withdrawal: 30 },
  rolling_expiry_days: 0,
};

describe('requiredTurnover', () => {
  it('is the amount times the multiplier, rounded up to the next minor unit', () => {
    expect(requiredTurnover(10_000n, 10_000)).toBe(10_000n);
    expect(requiredTurnover(10_000n, 25_000)).toBe(25_000n);
    expect(requiredTurnover(3n, 5_000)).toBe(2n);
    expect(requiredTurnover(1n, 1)).toBe(1n);
    expect(requiredTurnover(9_999n, 1)).toBe(1n);
    expect(requiredTurnover(10_001n, 1)).toBe(2n);
  });

  it('is zero for a zero multiplier or a zero amount', () => {
    expect(requiredTurnover(10_000n, 0)).toBe(0n);
    expect(requiredTurnover(0n, 10_000)).toBe(0n);
  });

  it('stays exact beyond the range of a double', () => {
    expect(requiredTurnover(9_007_199_254_740_993n, 100_000)).toBe(90_071_992_547_409_930n);
    expect(requiredTurnover(9_007_199_254_740_993n, 3)).toBe(2_702_159_776_423n);
  });
});

describe('weightedTurnover', () => {
  it('is the stake times the contribution, rounded down', () => {
    expect(weightedTurnover(5_000n, 10_000)).toBe(5_000n);
    expect(weightedTurnover(5_000n, 1_000)).toBe(500n);
    expect(weightedTurnover(9n, 1_000)).toBe(0n);
    expect(weightedTurnover(19n, 5_000)).toBe(9n);
    expect(weightedTurnover(9_999n, 1)).toBe(0n);
    expect(weightedTurnover(10_000n, 1)).toBe(1n);
  });

  it('is zero for a zero stake or a zero contribution', () => {
    expect(weightedTurnover(0n, 10_000)).toBe(0n);
    expect(weightedTurnover(5_000n, 0)).toBe(0n);
  });
});

describe('contributionBps', () => {
  it("is the named category's contribution", () => {
    expect(contributionBps(config, 'SLOTS')).toBe(10_000);
    expect(contributionBps(config, 'LIVE_CASINO')).toBe(1_000);
    expect(contributionBps(config, 'TABLE')).toBe(500);
    expect(contributionBps(config, 'OTHER')).toBe(250);
  });

  it('counts a category the config does not name (other case, inherited names) as OTHER', () => {
    for (const category of ['CRASH', 'slots', 'Slots', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(contributionBps(config, category), category).toBe(250);
    }
  });
});

describe('progressOf', () => {
  it('is the share reached, from 0 to 1', () => {
    expect(progressOf({ required: 10_000n, accrued: 0n })).toBe(0);
    expect(progressOf({ required: 10_000n, accrued: 2_500n })).toBe(0.25);
    expect(progressOf({ required: 3n, accrued: 1n })).toBe(0.333333);
    expect(progressOf({ required: 10_000n, accrued: 10_000n })).toBe(1);
  });

  it('never passes 1, and is 1 for a requirement of nothing', () => {
    expect(progressOf({ required: 10_000n, accrued: 20_000n })).toBe(1);
    expect(progressOf({ required: 0n, accrued: 0n })).toBe(1);
  });

  it('stays below 1 until the requirement is reached, however close', () => {
    expect(progressOf({ required: 10_000_000_000n, accrued: 9_999_999_999n })).toBeLessThan(1);
  });
});

describe('expiryOf', () => {
  const from = new Date('2026-03-01T12:00:00.000Z');

  it('is the given number of days after the start', () => {
    expect(expiryOf(from, 1)?.toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(expiryOf(from, 30)?.toISOString()).toBe('2026-03-31T12:00:00.000Z');
  });

  it('is never for 0 days', () => {
    expect(expiryOf(from, 0)).toBeNull();
  });
});
