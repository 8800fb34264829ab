import { badUserInput, conflict, DomainError, ErrorCode, formatMoney, notFound, parseMoneyInput, walletRoutes } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, type CallContext, isUuid, type Logger } from '@rgb/kit';
import type { BonusPayer } from './payer';
import { auditedChange } from './staff-actions';

/**
 * Staff take back (part of) a payout, a coupon redemption or a settlement item, through the
 * wallet's reversal of its credit (the credit's own key). The wallet reverses a credit once, by no
 * more than it paid: so a payout is reversed once, by at most what was paid less what was
 * reversed (CONFLICT after that). The wallet moves first; the payout's `reversed` and the audit
 * row follow in one transaction. A crash between them is repaired by asking again with the same
 * amount (the wallet answers its first result); a different amount is then the wallet's CONFLICT.
 */

/** What a reversal needs of the payout it takes back. */
interface Payout {
  id: string;
  playerId: string;
  currency: string;
  amount: bigint;
  reversed: bigint;
  paid: boolean;
}

interface PayoutKind {
  /** In audit rows and messages: coupon_redemption, settlement_item. */
  name: string;
  /** The wallet credit's key of a payout. */
  key(id: string): string;
  /** The brand's payout of this id; null when there is none. */
  find(db: Prisma.TransactionClient | PrismaClient, brandId: string, id: string): Promise<Payout | null>;
  /** Records `amount` reversed, unless a reversal is recorded already: whether it was recorded. */
  record(tx: Prisma.TransactionClient, id: string, amount: bigint): Promise<boolean>;
}

export const couponRedemptionPayout: PayoutKind = {
  name: 'coupon_redemption',
  key: (id) => `coupon:${id}`,
  async find(db, brandId, id) {
    const row = await db.couponRedemption.findFirst({ where: { id, brandId } });
    return row && { ...row, paid: row.status === 'PAID' };
  },
  record: async (tx, id, amount) => (await tx.couponRedemption.updateMany({ where: { id, reversed: 0n }, data: { reversed: amount } })).count === 1,
};

export const settlementItemPayout: PayoutKind = {
  name: 'settlement_item',
  key: (id) => `settlement:${id}`,
  async find(db, brandId, id) {
    const row = await db.settlementItem.findFirst({ where: { id, brandId } });
    return row && { ...row, paid: row.status === 'PAID' };
  },
  record: async (tx, id, amount) => (await tx.settlementItem.updateMany({ where: { id, reversed: 0n }, data: { reversed: amount } })).count === 1,
};

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
  if (payout.reversed > 0n) throw conflict(`${kind.name} ${id} was reversed already (${formatMoney(payout.reversed, payout.currency)}): a payout is reversed once`);
  if (amount > payout.amount) throw badUserInput(`amount: at most the ${formatMoney(payout.amount, payout.currency)} paid`);

  const movement = { brand, playerId: payout.playerId, amount, key: kind.key(payout.id), reference: `reversal of ${kind.name} ${payout.id}`, causedBy: `staff:${actor.staffId}`, reason: why };
  let answer: Awaited<ReturnType<typeof payer.wallet.call<typeof walletRoutes.promotionReverse>>>;
  try {
    answer = await payer.wallet.call(walletRoutes.promotionReverse, movement, context);
  } catch (error) {
    log.error({ err: error, payout: payout.id }, 'wallet did not answer a reversal');
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'the wallet did not answer: nothing was reversed, try again');
  }
  if (!answer.ok) throw new DomainError(answer.refusal.code as ErrorCode, `the wallet refused the reversal: ${answer.refusal.message}`);

  await auditedChange(prisma, brand.id, actor, async (tx) => {
    // Two staff reversing at once: the wallet moved once (the other was its repeat or its CONFLICT), and this records it once.
    const recorded = await kind.record(tx, payout.id, amount);
    if (!recorded) throw conflict(`${kind.name} ${payout.id} was reversed already: a payout is reversed once`);
    return {
      result: null,
      action: {
        action: `${kind.name}.reverse`,
        target_type: kind.name,
        target_id: payout.id,
        before: { amount: formatMoney(payout.amount, payout.currency), reversed: formatMoney(0n, payout.currency) },
        after: { reversed: formatMoney(amount, payout.currency), reason: why, balance_after: answer.value.balance },
      },
    };
  });
  return payout.id;
}
