import { type AgentMovement, type AgentMovementKind, badUserInput, type KeyedMovement, notFound } from '@rgb/contracts';
import { uniqueViolation, type PrismaClient } from '@rgb/db';
import { appendToOutbox, derivedEventId, recordStaffAction, type StaffActor } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { checkIdempotencyKey, hasAccount, inTransaction, moveOnce, type Moved, type MoveResult, type Tx } from './ledger';

/** The ledger's command key of a caller's key: per brand, so two brands' callers never share (or probe) a key. */
const keyed = (command: string, { brand, key }: Pick<KeyedMovement, 'brand' | 'key'>) => `${command}:${brand.id}:${key}`;

/** A bonus and its reversal move money: a zero amount would write an empty ledger entry under the key. */
function checkPositive(amount: bigint): void {
  if (amount <= 0n) throw badUserInput('a promotion amount must be greater than zero');
}

/** A promotion pays a bonus (a coupon, a rebate, a cashback...). */
export function creditPromotion(prisma: PrismaClient, movement: KeyedMovement): Promise<MoveResult> {
  checkIdempotencyKey(movement.key);
  checkPositive(movement.amount);
  return moveOnce(prisma, { ...movement, kind: 'PROMOTION_CREDIT', commandKey: keyed('promotion.credit', movement) });
}

/**
 * Takes back (part of) a bonus: `key` is the credit's own key, so a credit is reversed at most
 * once and by no more than it paid; refused (INSUFFICIENT_FUNDS) rather than taking the balance
 * below zero.
 */
export async function reversePromotion(prisma: PrismaClient, movement: KeyedMovement): Promise<MoveResult> {
  checkIdempotencyKey(movement.key);
  checkPositive(movement.amount);
  const credit = await prisma.ledgerEntry.findUnique({ where: { commandKey: keyed('promotion.credit', movement) } });
  if (!credit || credit.playerId !== movement.playerId || credit.brandId !== movement.brand.id) {
    throw notFound(`no promotion credit ${movement.key} for this player`);
  }
  if (movement.amount > credit.amount) throw badUserInput(`a reversal takes back at most the ${credit.amount} minor units credited`);
  return moveOnce(prisma, { ...movement, amount: -movement.amount, kind: 'PROMOTION_REVERSAL', commandKey: keyed('promotion.reverse', movement) });
}

/**
 * A signed correction. Staff adjust only a wallet that exists on their brand (`mayOpenAccount`
 * false): the wallet cannot tell whether an unknown id is a player of that brand, and an account
 * opened for another brand's player would lock that player out of their own brand's money. A
 * service that names the player itself (the platform's funding tools, later the agent domain) may
 * open it.
 */
export async function adjustBalance(
  prisma: PrismaClient,
  movement: KeyedMovement & { reason: string },
  { mayOpenAccount, staff }: { mayOpenAccount: boolean; staff?: StaffActor },
): Promise<MoveResult> {
  checkIdempotencyKey(movement.key);
  if (movement.amount === 0n) throw badUserInput('an adjustment must move money');
  if (!movement.reason.trim()) throw badUserInput('an adjustment needs a reason');
  if (!mayOpenAccount && !(await hasAccount(prisma, movement.brand, movement.playerId))) {
    throw notFound(`player ${movement.playerId} has no wallet on this brand`);
  }
  // A staff adjustment reaches the audit log; a repeat with its key moves nothing and records nothing.
  const audited = staff
    ? (tx: Tx, moved: Moved) =>
        recordStaffAction(tx, 'wallet.outbox', movement.brand.id, staff, {
          action: 'wallet_account.adjust',
          target_type: 'wallet_account',
          target_id: moved.accountId,
          before: { balance_minor: (moved.balanceAfter - movement.amount).toString(), currency: moved.currency },
          after: { balance_minor: moved.balanceAfter.toString(), currency: moved.currency, ledger_entry_id: moved.entryId, reason: movement.reason },
        })
    : undefined;
  return moveOnce(prisma, { ...movement, kind: 'ADJUSTMENT', commandKey: keyed('adjustment', movement) }, audited);
}

/** The sign each kind of agent movement gives its (positive) amount; an adjustment keeps its own. */
const AGENT_SIGN: Record<AgentMovementKind, bigint> = {
  WITHDRAWAL_HOLD: -1n,
  COUPON_GRANT: -1n,
  WITHDRAWAL_RELEASE: 1n,
  COUPON_RECYCLE: 1n,
  ADJUSTMENT: 1n,
};

/**
 * A movement of an agent's account on the brand, opened (in the brand's currency) by the first
 * credit. Holds and grants are refused (INSUFFICIENT_FUNDS) past the balance, as is a negative
 * adjustment. One key per movement whatever its kind, so the same key with another kind is a CONFLICT.
 */
export function moveAgentAccount(prisma: PrismaClient, movement: AgentMovement): Promise<MoveResult> {
  checkIdempotencyKey(movement.key);
  const { kind, amount } = movement;
  if (kind === 'ADJUSTMENT' ? amount === 0n : amount <= 0n) throw badUserInput('an agent movement must move money: a positive amount, or a signed one for an adjustment');
  if (kind === 'ADJUSTMENT' && !movement.reason?.trim()) throw badUserInput('an adjustment needs a reason');
  return moveOnce(prisma, {
    brand: movement.brand,
    agentId: movement.agentId,
    kind,
    amount: AGENT_SIGN[kind] * amount,
    reference: movement.reference,
    commandKey: keyed('agent', movement),
    causedBy: movement.causedBy,
    reason: movement.reason,
  });
}

/**
 * The rolling domain reports a wagering requirement fulfilled; the wallet confirms it on its
 * stream (ROLLING_COMPLETED_CONFIRMED), once per rolling id: the event id is derived from it.
 */
export async function confirmRollingCompleted(prisma: PrismaClient, brand: BrandRef, rollingId: string, playerId: string): Promise<{ duplicate: boolean }> {
  try {
    await inTransaction(prisma, (tx) =>
      appendToOutbox(tx, 'wallet.outbox', {
        type: 'ROLLING_COMPLETED_CONFIRMED',
        eventId: derivedEventId(`rolling.completed:${rollingId}`),
        owner: { brandId: brand.id },
        brandId: brand.id,
        aggregateType: 'rolling',
        aggregateId: rollingId,
        payload: { rolling_id: rollingId, player_id: playerId },
      }),
    );
    return { duplicate: false };
  } catch (error) {
    if (uniqueViolation(error) === 'outbox_event_id_key') return { duplicate: true };
    throw error;
  }
}
