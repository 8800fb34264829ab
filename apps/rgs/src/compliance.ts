import { formatMoney } from '@rgb/contracts';
import { directSql, type PrismaClient, statement } from '@rgb/db';
import { RgsError } from './errors';
import type { Operator, OperatorLimits } from './operators';

const LIMITS = statement(
  `SELECT max_bet_minor, daily_loss_limit_minor, daily_win_limit_minor FROM rgs.operator_limit WHERE operator_id = $1::uuid AND currency = $2`,
);

/** The operator's limits in `currency`; null when it has none (the bet is then refused). */
export async function readLimits(prisma: PrismaClient, operatorId: string, currency: string): Promise<OperatorLimits | null> {
  // bigint columns come back from node-postgres as decimal strings.
  const [row] = await directSql(prisma).rows<{ max_bet_minor: string; daily_loss_limit_minor: string; daily_win_limit_minor: string }>(LIMITS, [
    operatorId,
    currency,
  ]);
  return row
    ? { currency, maxBetMinor: BigInt(row.max_bet_minor), dailyLossLimitMinor: BigInt(row.daily_loss_limit_minor), dailyWinLimitMinor: BigInt(row.daily_win_limit_minor) }
    : null;
}

/** What a bet meets before it is recorded: the session's jurisdiction and the maximum bet. */
export function betRefusal(operator: Operator, limits: OperatorLimits, jurisdiction: string, amountMinor: bigint): RgsError | null {
  if (!operator.allowedJurisdictions.includes(jurisdiction)) return new RgsError('JURISDICTION_BLOCKED', `the operator takes no bets in ${jurisdiction}`);
  if (amountMinor > limits.maxBetMinor) return new RgsError('MAX_BET_EXCEEDED', `the largest bet is ${formatMoney(limits.maxBetMinor, limits.currency)}`);
  return null;
}

/**
 * The daily limits: a bet is refused when losing it would take the day's net loss past the loss
 * limit, or when the day's net win has already reached the win limit.
 */
export function dailyLimitRefusal(limits: OperatorLimits, amountMinor: bigint, netMinor: bigint): RgsError | null {
  const money = (minor: bigint) => formatMoney(minor, limits.currency);
  if (-netMinor + amountMinor > limits.dailyLossLimitMinor) {
    return new RgsError('DAILY_LOSS_LIMIT_REACHED', `the daily loss limit is ${money(limits.dailyLossLimitMinor)}; today's net loss is ${money(netMinor < 0n ? -netMinor : 0n)}`);
  }
  if (netMinor >= limits.dailyWinLimitMinor) {
    return new RgsError('DAILY_WIN_LIMIT_REACHED', `the daily win limit of ${money(limits.dailyWinLimitMinor)} is reached`);
  }
  return null;
}
