/** The programs' arithmetic on its own: periods of local days, and rounding down at every rate. */
import { describe, expect, it } from 'vitest';
import { afterLimits, applyBps, cashbackOf, endedPeriods, isDay, localDay, lostOf, periodOf, rebateOf, withinBudget } from '../src/program-rules';

describe('periods', () => {
  it('a day is its own period; a week runs Monday to Sunday', () => {
    expect(periodOf('DAILY', '2026-02-28')).toEqual({ start: '2026-02-28', end: '2026-03-01' });
    // 2 March 2026 is a Monday, 8 March a Sunday.
    expect(periodOf('WEEKLY', '2026-03-02')).toEqual({ start: '2026-03-02', end: '2026-03-09' });
    expect(periodOf('WEEKLY', '2026-03-08')).toEqual({ start: '2026-03-02', end: '2026-03-09' });
    expect(periodOf('WEEKLY', '2026-03-09')).toEqual({ start: '2026-03-09', end: '2026-03-16' });
    expect(periodOf('WEEKLY', '2027-01-01')).toEqual({ start: '2026-12-28', end: '2027-01-04' });
  });

  it('lists the periods ended by today, from the one holding the first day', () => {
    expect(endedPeriods('DAILY', '2026-03-01', '2026-03-03')).toEqual([
      { start: '2026-03-01', end: '2026-03-02' },
      { start: '2026-03-02', end: '2026-03-03' },
    ]);
    expect(endedPeriods('WEEKLY', '2026-03-04', '2026-03-08')).toEqual([]);
    expect(endedPeriods('WEEKLY', '2026-03-04', '2026-03-09')).toEqual([{ start: '2026-03-02', end: '2026-03-09' }]);
  });

  it("reads an instant's local date in the brand's time zone", () => {
    expect(localDay(new Date('2026-03-01T14:59:59.999Z'), 'Asia/Seoul')).toBe('2026-03-01');
    expect(localDay(new Date('2026-03-01T15:00:00.000Z'), 'Asia/Seoul')).toBe('2026-03-02');
    expect(localDay(new Date('2026-03-01T15:00:00.000Z'), 'UTC')).toBe('2026-03-01');
    expect([isDay('2026-02-29'), isDay('2028-02-29'), isDay('2026-3-01')]).toEqual([false, true, false]);
  });
});

describe('amounts', () => {
  it('rounds every rate down, per category for a rebate', () => {
    expect(applyBps(9_999n, 1)).toBe(0n);
    expect(applyBps(10_000n, 1)).toBe(1n);
    // SLOTS 123.45 -> 123, LIVE_CASINO 54.945 -> 54; TABLE has no rate and is no basis.
    const stakes = new Map([
      ['SLOTS', 12_345n],
      ['LIVE_CASINO', 999n],
      ['TABLE', 5_000n],
    ]);
    expect(rebateOf(stakes, { SLOTS: 100, LIVE_CASINO: 550 })).toEqual({ basis: 13_344n, computed: 177n });
  });

  it('pays cashback on a net loss only', () => {
    expect(cashbackOf(10_000n, 2_001n, 1_000)).toEqual({ basis: 7_999n, computed: 799n });
    expect(cashbackOf(10_000n, 10_000n, 1_000)).toEqual({ basis: 0n, computed: 0n });
    expect(cashbackOf(10_000n, 12_000n, 1_000)).toEqual({ basis: 0n, computed: 0n });
  });

  it("measures a lost deposit from the balance right after it, at most the deposit", () => {
    expect(lostOf(10_000n, 10_500n, 499n)).toBe(10_000n);
    expect(lostOf(10_000n, 10_500n, 4_000n)).toBe(6_500n);
    expect(lostOf(10_000n, 10_500n, 11_000n)).toBe(0n);
  });

  it('pays nothing under the minimum, and at most the player cap', () => {
    const limits = { minPayout: 100n, playerCap: 500n };
    expect(afterLimits(99n, limits)).toBeNull();
    expect(afterLimits(100n, limits)).toEqual({ amount: 100n, cappedBy: null });
    expect(afterLimits(500n, limits)).toEqual({ amount: 500n, cappedBy: null });
    expect(afterLimits(501n, limits)).toEqual({ amount: 500n, cappedBy: 'PLAYER_CAP' });
    expect(afterLimits(0n, { minPayout: 0n, playerCap: null })).toBeNull();
  });

  it('pays out of the budget what is left only when it is at least the minimum', () => {
    const line = { amount: 400n, cappedBy: 'PLAYER_CAP' as const };
    expect(withinBudget(line, null, 200n)).toEqual(line);
    expect(withinBudget(line, 400n, 200n)).toEqual(line);
    expect(withinBudget(line, 200n, 200n)).toEqual({ amount: 200n, cappedBy: 'BUDGET' });
    expect(withinBudget(line, 199n, 200n)).toEqual({ amount: 0n, cappedBy: 'BUDGET' });
    expect(withinBudget(line, 0n, 0n)).toEqual({ amount: 0n, cappedBy: 'BUDGET' });
  });
});
