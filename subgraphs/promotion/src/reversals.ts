import { badUserInput, conflict, DomainError, ErrorCode, formatMoney, notFound, parseMoneyInput, walletRoutes } from '@rgb/contracts';
import { type PayoutReversal, type Prisma, type PrismaClient, uniqueViolation } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, type CallContext, isUuid, type Logger } from '@rgb/kit';
import type { BonusPayer } from './payer';
import { auditedChange } from './staff-actions';

/**
 * Staff take back (part of) a payout, a coupon redemption or a settlement item, through the
 * wallet's reversal of its credit (the credit's own key). The wallet reverses a credit once, by no
 * more than it paid: so a payout has one reversal, PENDING or DONE, of at most what was paid
 * (CONFLICT after that; a REFUSED one moved nothing and does not count).
 *
 * The reversal is recorded first, PENDING, with its audit row; then the wallet moves under the
 * credit's key; then it is DONE and the payout's `reversed` counts it, in one transaction. A crash
 * or a failure after the record leaves it PENDING: promotion_worker completes it, or the same
 * staff request repeated does, the wallet answering a repeat of its key with its first result.
 */

/** What a reversal needs of the payout it takes back. */
interface Payout {
  id: string;
  playerId: string;
  currency: string;
  amount: bigint;
  paid: boolean;
}

interface PayoutKind {
  /** In audit rows, messages and reversal rows: coupon_redemption, settlement_item. */
  name: string;
  /** The wallet credit's key of a payout. */
  key(id: string): string;
  /** The brand's payout of this id; null when there is none. */
  find(db: Prisma.TransactionClient | PrismaClient, brandId: string, id: string): Promise<Payout | null>;
  /** Adds `amount` to what the payout's `reversed` says. */
  addReversed(tx: Prisma.TransactionClient, id: string, amount: bigint): Promise<unknown>;
}

export const couponRedemptionPayout: PayoutKind = {
  name: 'coupon_redemption',
  key: (id) => `coupon:${id}`,
  async find(db, brandId, id) {
    const row = await db.couponRedemption.findFirst({ where: { id, brandId } });
    return row && { ...row, paid: row.status === 'PAID' };
  },
  addReversed: (tx, id, amount) => tx.couponRedemption.update({ where: { id }, data: { reversed: { increment: amount } } }),
};

export const settlementItemPayout: PayoutKind = {
  name: 'settlement_item',
  key: (id) => `settlement:${id}`,
  async find(db, brandId, id) {
    const row = await db.settlementItem.findFirst({ where: { id, brandId } });
    return row && { ...row, paid: row.status === 'PAID' };
  },
  addReversed: (tx, id, amount) => tx.settlementItem.update({ where: { id }, data: { reversed: { increment: amount } } }),
};

const PAYOUT_KINDS: Record<string, PayoutKind> = { [couponRedemptionPayout.name]: couponRedemptionPayout, [settlementItemPayout.name]: settlementItemPayout };

export interface ReversalRequest {
  id: string;
  amount: string;
  reason: string;
}

/** Reverses `amount` of the brand's payout through the wallet, audited; answers the payout's id. */
export async function reversePayout(
  prisma: PrismaClient,
  payer: BonusPayer,
  log: Logger,
  brand: BrandRef,
  kind: PayoutKind,
  { id, amount: input, reason }: ReversalRequest,
  actor: StaffActor,
  context: CallContext = {},
): Promise<string> {
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  const amount = parseMoneyInput(input, brand.currency, { name: 'amount' });
  const payout = isUuid(id) ? await kind.find(prisma, brand.id, id) : null;
  if (!payout) throw notFound(`no ${kind.name} ${id}`);
  if (!payout.paid) throw conflict(`${kind.name} ${id} is not paid: nothing to reverse`);
  if (amount > payout.amount) throw badUserInput(`amount: at most the ${formatMoney(payout.amount, payout.currency)} paid`);

  const standing = await standingReversal(prisma, kind, payout.id);
  // The same request (payout and amount) repeated completes a reversal left PENDING; any other is refused, as once it is DONE.
  const pendingRepeat = standing?.status === 'PENDING' && standing.amount === amount;
  if (standing && !pendingRepeat) {
    throw conflict(`${kind.name} ${id} has a ${standing.status} reversal of ${formatMoney(standing.amount, standing.currency)} already: a payout is reversed once`);
  }
  const reversal = standing ?? (await recordReversal(prisma, brand.id, kind, payout, amount, why, actor));
  try {
    await completeReversal(prisma, payer, brand, reversal, context);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    log.error({ err: error, reversal: reversal.id, payout: payout.id }, 'reversal recorded but not completed: promotion_worker completes it');
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'the reversal is recorded but could not be completed now: it is completed shortly (or by asking again), never twice');
  }
  return payout.id;
}

/** The payout's reversal that counts (PENDING or DONE); null when it has none. */
const standingReversal = (db: Prisma.TransactionClient | PrismaClient, kind: PayoutKind, payoutId: string) =>
  db.payoutReversal.findFirst({ where: { payoutKind: kind.name, payoutId, status: { in: ['PENDING', 'DONE'] } } });

/** The PENDING reversal and its audit row, in one transaction; CONFLICT when another staff request recorded one first. */
async function recordReversal(prisma: PrismaClient, brandId: string, kind: PayoutKind, payout: Payout, amount: bigint, reason: string, actor: StaffActor): Promise<PayoutReversal> {
  try {
    return await auditedChange(prisma, brandId, actor, async (tx) => {
      const reversal = await tx.payoutReversal.create({
        data: { brandId, payoutKind: kind.name, payoutId: payout.id, playerId: payout.playerId, currency: payout.currency, amount, walletKey: kind.key(payout.id), staffId: actor.staffId, reason },
      });
      return {
        result: reversal,
        action: {
          action: `${kind.name}.reverse`,
          target_type: kind.name,
          target_id: payout.id,
          before: { amount: formatMoney(payout.amount, payout.currency), reversed: formatMoney(0n, payout.currency) },
          after: { reversed: formatMoney(amount, payout.currency), reason, reversal_id: reversal.id },
        },
      };
    });
  } catch (error) {
    // Two staff reversing at once: the index of standing reversals lets one of them in.
    if (uniqueViolation(error)) throw conflict(`${kind.name} ${payout.id} was reversed already: a payout is reversed once`);
    throw error;
  }
}

/**
 * The wallet's reversal under the reversal's key, then the reversal DONE and counted on its
 * payout once (a concurrent completion finds it DONE and changes nothing). A wallet refusal marks
 * it REFUSED with the code and is thrown as that code; a fault leaves it PENDING and is thrown.
 */
export async function completeReversal(prisma: PrismaClient, payer: BonusPayer, brand: BrandRef, reversal: PayoutReversal, context: CallContext = {}): Promise<void> {
  const kind = PAYOUT_KINDS[reversal.payoutKind];
  if (!kind) throw new Error(`reversal ${reversal.id} of an unknown payout kind ${reversal.payoutKind}`);
  const answer = await payer.wallet.call(
    walletRoutes.promotionReverse,
    {
      brand,
      playerId: reversal.playerId,
      amount: reversal.amount,
      key: reversal.walletKey,
      reference: `reversal of ${kind.name} ${reversal.payoutId}`,
      causedBy: `staff:${reversal.staffId}`,
      reason: reversal.reason,
    },
    context,
  );
  if (!answer.ok) {
    await prisma.payoutReversal.updateMany({ where: { id: reversal.id, status: 'PENDING' }, data: { status: 'REFUSED', refusalCode: answer.refusal.code, completedAt: new Date() } });
    throw new DomainError(answer.refusal.code as ErrorCode, `the wallet refused the reversal: ${answer.refusal.message}`);
  }
  await prisma.$transaction(async (tx) => {
    const done = await tx.payoutReversal.updateMany({ where: { id: reversal.id, status: 'PENDING' }, data: { status: 'DONE', completedAt: new Date() } });
    if (done.count === 1) await kind.addReversed(tx, reversal.payoutId, reversal.amount);
  });
}

/** A staff request completes its own reversal within this, usually: the worker leaves it alone meanwhile. */
const REVERSAL_GRACE_MS = 10_000;

/**
 * promotion_worker's completion of reversals left PENDING for `graceMs` (a staff request usually
 * completes its own within it), oldest first. A refusal is REFUSED and logged; a fault stays for
 * the next tick.
 */
export async function completePendingReversals(
  prisma: PrismaClient,
  payer: BonusPayer,
  brandOf: (brandId: string) => BrandRef | undefined,
  { graceMs = REVERSAL_GRACE_MS, batchSize = 100 }: { graceMs?: number; batchSize?: number } = {},
): Promise<{ completed: number; pending: boolean }> {
  const due = await prisma.payoutReversal.findMany({
    where: { status: 'PENDING', createdAt: { lte: new Date(Date.now() - graceMs) } },
    orderBy: { createdAt: 'asc' },
    take: batchSize,
  });
  let completed = 0;
  for (const reversal of due) {
    try {
      const brand = brandOf(reversal.brandId);
      if (!brand) throw new Error(`brand ${reversal.brandId} is not in the catalogue`);
      await completeReversal(prisma, payer, brand, reversal);
      completed += 1;
      payer.log.info({ reversal: reversal.id, payout: { kind: reversal.payoutKind, id: reversal.payoutId } }, 'pending reversal completed');
    } catch (error) {
      payer.log.error({ err: error, reversal: reversal.id, payout: { kind: reversal.payoutKind, id: reversal.payoutId } }, error instanceof DomainError ? 'pending reversal refused by the wallet' : 'pending reversal not completed yet; it will be retried');
    }
  }
  return { completed, pending: due.length === batchSize };
}
