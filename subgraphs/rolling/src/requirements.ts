import { badUserInput, type BrandConfigContract, conflict, type RequirementRequest, type TypedEnvelope } from '@rgb/contracts';
import type { PrismaClient, Rolling } from '@rgb/db';
import type { OutboxTransaction } from '@rgb/events';
import { expiryOf, requiredTurnover } from './rules';

/**
 * Creating requirements: one per approved deposit of a brand whose deposits carry one, and one per
 * promotion credit that asks for it. Each source id makes at most one, ever.
 */

/**
 * DEPOSIT_APPROVED: the deposit is recorded as processed (the withdrawal check counts those), and
 * gets a requirement of the amount times the brand's deposit multiplier, expiring after the
 * brand's expiry from the approval.
 */
export async function requireForDeposit(tx: OutboxTransaction, config: BrandConfigContract, event: TypedEnvelope<'DEPOSIT_APPROVED'>): Promise<void> {
  const { request_id: depositId, player_id: playerId, amount_minor, currency } = event.payload;
  const processed = await tx.$executeRaw`
    INSERT INTO rolling.processed_deposit (deposit_request_id, brand_id, player_id)
    VALUES (${depositId}::uuid, ${event.brand_id}::uuid, ${playerId}::uuid) ON CONFLICT DO NOTHING`;
  if (processed === 0) return;
  const amount = BigInt(amount_minor);
  const required = requiredTurnover(amount, config.deposit_rolling_multiplier_bps);
  if (required === 0n) return;
  const approvedAt = new Date(event.occurred_at);
  await tx.rolling.create({
    data: {
      brandId: event.brand_id,
      playerId,
      currency,
      source: 'DEPOSIT',
      sourceId: depositId,
      amount,
      multiplierBps: config.deposit_rolling_multiplier_bps,
      required,
      expiresAt: expiryOf(approvedAt, config.rolling_expiry_days),
      createdAt: approvedAt,
    },
  });
}

/**
 * A promotion credit's requirement, asked for before the credit is made so that no withdrawal
 * can slip between the two. A repeat of the source id answers the first requirement; the same
 * id for another player, amount or multiplier is refused. A zero requirement creates nothing.
 */
export async function requireForPromotion(
  prisma: PrismaClient,
  config: BrandConfigContract,
  request: RequirementRequest,
): Promise<{ rolling: Rolling | null; duplicate: boolean }> {
  const required = requiredTurnover(request.amount, request.multiplierBps);
  if (required === 0n) return { rolling: null, duplicate: false };
  const where = { brandId_source_sourceId: { brandId: request.brand.id, source: request.source, sourceId: request.sourceId } };
  const same = (rolling: Rolling) => {
    if (rolling.playerId !== request.playerId || rolling.amount !== request.amount || rolling.multiplierBps !== request.multiplierBps) {
      throw conflict(`source ${request.sourceId} already has a requirement for another player, amount or multiplier`);
    }
    return { rolling, duplicate: true };
  };
  const earlier = await prisma.rolling.findUnique({ where });
  if (earlier) return same(earlier);
  const now = new Date();
  if (request.expiresAt && request.expiresAt <= now) throw badUserInput('expires_at must be in the future');
  const [created] = await prisma.rolling.createManyAndReturn({
    data: {
      brandId: request.brand.id,
      playerId: request.playerId,
      currency: request.brand.currency,
      source: request.source,
      sourceId: request.sourceId,
      amount: request.amount,
      multiplierBps: request.multiplierBps,
      required,
      expiresAt: request.expiresAt ?? expiryOf(now, config.rolling_expiry_days),
      createdAt: now,
    },
    skipDuplicates: true,
  });
  if (created) return { rolling: created, duplicate: false };
  // A concurrent call with the same source id won the insert.
  return same(await prisma.rolling.findUniqueOrThrow({ where }));
}
