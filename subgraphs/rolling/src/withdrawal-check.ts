import type { RouteResponse, rollingRoutes, WithdrawalCheck } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';

/**
 * Whether a player may withdraw: not while a requirement is active (and not past its expiry),
 * nor while the wallet has approved deposits rolling has not processed yet, whose requirements
 * may not exist yet. One round trip on the player's rows.
 */
export async function checkWithdrawal(prisma: PrismaClient, check: WithdrawalCheck): Promise<RouteResponse<typeof rollingRoutes.withdrawalCheck>> {
  const [row] = await prisma.$queryRaw<{ active: number; remaining: bigint; processed: number }[]>`
    SELECT count(*)::int AS active, coalesce(sum(required - accrued), 0)::bigint AS remaining,
      (SELECT count(*)::int FROM rolling.processed_deposit
       WHERE brand_id = ${check.brand.id}::uuid AND player_id = ${check.playerId}::uuid) AS processed
    FROM rolling.rolling
    WHERE brand_id = ${check.brand.id}::uuid AND player_id = ${check.playerId}::uuid
      AND status = 'ACTIVE' AND (expires_at IS NULL OR expires_at > now())`;
  const { active, remaining, processed } = row!;
  const reason = active > 0 ? 'ACTIVE_REQUIREMENT' : processed < check.approvedDeposits ? 'DEPOSITS_NOT_PROCESSED' : null;
  return { allowed: reason === null, reason, active_requirements: active, remaining_minor: remaining.toString() };
}
