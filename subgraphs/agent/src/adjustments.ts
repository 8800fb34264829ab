import { randomUUID } from 'node:crypto';
import { badUserInput, conflict, notFound } from '@rgb/contracts';
import type { AgentBalanceAdjustment, PrismaClient } from '@rgb/db';
import { appendToOutbox, outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type BrandRef, type Connection, isUuid, paginate } from '@rgb/kit';
import { type Settler, writeCall } from './calls';
import { idempotencyKeyOf, insufficientFunds, type MoneyDeps, signedAmount, writeOrFindEarlier } from './money';

/**
 * Staff corrections of an agent's balance on a brand: APPLYING (the wallet's ADJUSTMENT on its
 * way) → APPLIED, announced and audited then. A debit past the balance deletes it:
 * INSUFFICIENT_FUNDS, nothing of it remains.
 */

/** Applies the wallet's answer to an adjustment. */
export const settleAdjustmentCall: Settler = async (tx, call, answer) => {
  if (!answer.ok) {
    if (answer.refusal.code !== 'INSUFFICIENT_FUNDS') return { status: 'FAILED' };
    await tx.agentBalanceAdjustment.deleteMany({ where: { id: call.subjectId, status: 'APPLYING' } });
    return { status: 'REFUSED' };
  }
  const { count } = await tx.agentBalanceAdjustment.updateMany({ where: { id: call.subjectId, status: 'APPLYING' }, data: { status: 'APPLIED' } });
  if (count === 0) return { status: 'DONE' };
  const adjustment = await tx.agentBalanceAdjustment.findUniqueOrThrow({ where: { id: call.subjectId } });
  await appendToOutbox(tx, 'agent.outbox', {
    type: 'AGENT_BALANCE_ADJUSTED',
    owner: { brandId: adjustment.brandId },
    brandId: adjustment.brandId,
    aggregateType: 'agent_balance_adjustment',
    aggregateId: adjustment.id,
    payload: { agent_id: adjustment.agentId, amount_minor: adjustment.amount.toString(), currency: adjustment.currency, reason: adjustment.reason },
  });
  await recordStaffAction(tx, 'agent.outbox', adjustment.brandId, { staffId: adjustment.createdBy, requestId: adjustment.requestId }, {
    action: 'agent_balance.adjust',
    target_type: 'agent',
    target_id: adjustment.agentId,
    before: null,
    after: { adjustment_id: adjustment.id, amount_minor: adjustment.amount.toString(), currency: adjustment.currency, reason: adjustment.reason },
  });
  return { status: 'DONE' };
};

export interface AdjustmentRequest {
  agentId: string;
  amount: string;
  reason: string;
  idempotencyKey?: string | null;
}

/** A staff adjustment of an agent serving the request's brand (else NOT_FOUND); the same key answers the same adjustment. */
export async function adjustBalance(deps: MoneyDeps, brand: BrandRef, actor: StaffActor, input: AdjustmentRequest): Promise<AgentBalanceAdjustment> {
  const amount = signedAmount(input.amount, brand.currency);
  const reason = input.reason.trim();
  if (reason.length < 1 || reason.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
  const agent = isUuid(input.agentId) ? await deps.prisma.agent.findUnique({ where: { id: input.agentId } }) : null;
  if (!agent || !(await deps.agentBrands.serves(agent.id, brand.id))) throw notFound('no such agent on this brand');
  const byKey = idempotencyKey ? { brandId_idempotencyKey: { brandId: brand.id, idempotencyKey } } : null;
  const sameAdjustment = (earlier: AgentBalanceAdjustment) => {
    if (earlier.amount !== amount || earlier.agentId !== agent.id) throw conflict('this idempotencyKey was used for another adjustment');
    return earlier;
  };
  if (byKey) {
    const earlier = await deps.prisma.agentBalanceAdjustment.findUnique({ where: byKey });
    if (earlier) return sameAdjustment(earlier);
  }
  const id = randomUUID();
  const written = await writeOrFindEarlier(
    () =>
      outboxTransaction(deps.prisma, async (tx) => {
        await tx.agentBalanceAdjustment.create({
          data: { id, brandId: brand.id, agentId: agent.id, currency: brand.currency, amount, reason, status: 'APPLYING', idempotencyKey, createdBy: actor.staffId, requestId: actor.requestId },
        });
        return writeCall(tx, {
          kind: 'WALLET_MOVEMENT',
          brandId: brand.id,
          subjectType: 'balance_adjustment',
          subjectId: id,
          request: (key) => ({ brand, agentId: agent.id, kind: 'ADJUSTMENT', amount, key, reference: `agent_balance_adjustment:${id}`, causedBy: `staff:${actor.staffId}`, reason }),
        });
      }),
    byKey && (() => deps.prisma.agentBalanceAdjustment.findUnique({ where: byKey })),
  );
  if ('earlier' in written) return sameAdjustment(written.earlier);
  const outcome = await deps.calls.perform(written.callId, deps.call);
  const adjustment = await deps.prisma.agentBalanceAdjustment.findUnique({ where: { id } });
  if (!adjustment) throw insufficientFunds(outcome, 'this debit');
  return adjustment;
}

/** An agent's adjustments on a brand, newest first. */
export function listAdjustments(prisma: PrismaClient, filter: { brandId: string; agentId: string }, page: { first?: number | null; after?: string | null }): Promise<Connection<AgentBalanceAdjustment>> {
  return paginate(
    page,
    (position, take) => prisma.agentBalanceAdjustment.findMany({ where: { ...filter, ...position }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take }),
    () => prisma.agentBalanceAdjustment.count({ where: filter }),
  );
}
