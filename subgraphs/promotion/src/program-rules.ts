/**
 * The programs' arithmetic, on integer minor units: periods of local days (the brand's time
 * zone), and what a period pays a player. Every rate rounds DOWN (a fraction of a minor unit is
 * never paid), per game category for a rebate, once on the net loss for a cashback, per deposit
 * for a lossback; the minimum, the player cap and then the budget apply to the rounded sum (what
 * the budget leaves is paid only when it is at least the minimum).
 */

export type PeriodKind = 'DAILY' | 'WEEKLY';

/** A period of local days: from `start` to the day before `end` (YYYY-MM-DD). */
export interface Period {
  start: string;
  end: string;
}

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOf = (dayNum: number) => new Date(dayNum * DAY_MS).toISOString().slice(0, 10);

/** Whether `input` is a calendar day written YYYY-MM-DD. */
export const isDay = (input: string) => DATE.test(input) && dayOf(dayNumber(input)) === input;

/** The local date of `instant` in `timezone` (YYYY-MM-DD). */
export function localDay(instant: Date, timezone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** The period of `kind` that holds `day`: the day itself, or its week from Monday. */
export function periodOf(kind: PeriodKind, day: string): Period {
  const number = dayNumber(day);
  if (kind === 'DAILY') return { start: day, end: dayOf(number + 1) };
  // 1970-01-01 was a Thursday: day number 0 is weekday 3 counted from Monday.
  const fromMonday = (((number + 3) % 7) + 7) % 7;
  return { start: dayOf(number - fromMonday), end: dayOf(number - fromMonday + 7) };
}

/** The periods of `kind` from the one holding `from` that have ended by `today` (their end is today or earlier), oldest first. */
export function endedPeriods(kind: PeriodKind, from: string, today: string): Period[] {
  const periods: Period[] = [];
  for (let period = periodOf(kind, from); period.end <= today; period = periodOf(kind, period.end)) periods.push(period);
  return periods;
}

/** `basis` times `bps` basis points, rounded down. */
export const applyBps = (basis: bigint, bps: number): bigint => (basis * BigInt(bps)) / 10_000n;

/** A rebate: each category's stakes times its rate, each rounded down, summed; the basis is the stakes of categories that have a rate. */
export function rebateOf(stakesByCategory: Map<string, bigint>, ratesBps: Record<string, number>): { basis: bigint; computed: bigint } {
  let basis = 0n;
  let computed = 0n;
  for (const [category, stake] of stakesByCategory) {
    const rate = ratesBps[category] ?? 0;
    if (rate === 0 || stake <= 0n) continue;
    basis += stake;
    computed += applyBps(stake, rate);
  }
  return { basis, computed };
}

/** A cashback: the net loss (stakes less wins; nothing when the player won) times the rate, rounded down. */
export function cashbackOf(stakes: bigint, wins: bigint, rateBps: number): { basis: bigint; computed: bigint } {
  const netLoss = stakes - wins;
  return netLoss > 0n ? { basis: netLoss, computed: applyBps(netLoss, rateBps) } : { basis: 0n, computed: 0n };
}

/**
 * A deposit's loss: the balance right after the deposit less the balance that first fell under
 * the threshold, at most the deposit (what the player had before it is not the deposit's).
 */
export function lostOf(deposit: bigint, balanceAfterDeposit: bigint, lowBalance: bigint): bigint {
  const dropped = balanceAfterDeposit - lowBalance;
  if (dropped <= 0n) return 0n;
  return dropped < deposit ? dropped : deposit;
}

export type CapReason = 'PLAYER_CAP' | 'BUDGET';

/** What a computed amount pays after the minimum and the player cap: null when under the minimum (or nothing). */
export function afterLimits(computed: bigint, { minPayout, playerCap }: { minPayout: bigint; playerCap: bigint | null }): { amount: bigint; cappedBy: CapReason | null } | null {
  if (computed <= 0n || computed < minPayout) return null;
  if (playerCap !== null && computed > playerCap) return { amount: playerCap, cappedBy: 'PLAYER_CAP' };
  return { amount: computed, cappedBy: null };
}

/**
 * What a line pays out of `budgetLeft` (null: no budget): all of it, or what is left (BUDGET) when
 * that is less; nothing (BUDGET) when what is left is under the minimum.
 */
export function withinBudget(line: { amount: bigint; cappedBy: CapReason | null }, budgetLeft: bigint | null, minPayout: bigint): { amount: bigint; cappedBy: CapReason | null } {
  if (budgetLeft === null || line.amount <= budgetLeft) return line;
  return { amount: budgetLeft < minPayout ? 0n : budgetLeft, cappedBy: 'BUDGET' };
}
