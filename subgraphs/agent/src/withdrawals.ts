import { randomUUID } from 'node:crypto';
import { badUserInput, conflict, type EventPayload, notFound } from '@rgb/contracts';
import type { AgentWithdrawal, AgentWithdrawalStatus, PrismaClient } from '@rgb/db';
import { appendToOutbox, type OutboxTransaction, outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type BrandRef, type Connection, checkRequestLimits, isUuid, paginate } from '@rgb/kit';
import { type Settler, writeCall } from './calls';
import { idempotencyKeyOf, insufficientFunds, type MoneyDeps, positiveAmount, writeOrFindEarlier } from './money';

/**
 * Agents' withdrawals: HOLDING (the wallet's hold on its way) → PENDING → APPROVED → PAID, or
 * declined by staff: PENDING → DECLINING → DECLINED, APPROVED → PAY_DECLINING → PAY_DECLINED (the
 * release on its way, then applied). A hold the balance does not cover deletes the withdrawal:
 * the agent is answered INSUFFICIENT_FUNDS and nothing of it remains (its key is free again).
 */

type Event = 'AGENT_WITHDRAW_CREATED' | 'AGENT_WITHDRAW_APPROVED' | 'AGENT_WITHDRAW_DECLINED' | 'AGENT_WITHDRAW_PAID' | 'AGENT_WITHDRAW_PAY_DECLINED';

/** What every event of a withdrawal says of it. */
const described = (withdrawal: AgentWithdrawal) => ({
  withdrawal_id: withdrawal.id,
  agent_id: withdrawal.agentId,
  amount_minor: withdrawal.amount.toString(),
  currency: withdrawal.currency,
});

async function announce<T extends Event>(tx: OutboxTransaction, type: T, withdrawal: AgentWithdrawal, payload: EventPayload<T>): Promise<void> {
  await appendToOutbox(tx, 'agent.outbox', { type, owner: { brandId: withdrawal.brandId }, brandId: withdrawal.brandId, aggregateType: 'agent_withdrawal', aggregateId: withdrawal.id, payload });
}

/** Moves a withdrawal from one status to the next if it is still in the first; null when it was not. */
async function transition(tx: OutboxTransaction, id: string, from: AgentWithdrawalStatus, data: Partial<AgentWithdrawal> & { status: AgentWithdrawalStatus }): Promise<AgentWithdrawal | null> {
  const { count } = await tx.agentWithdrawal.updateMany({ where: { id, status: from }, data });
  return count === 1 ? tx.agentWithdrawal.findUniqueOrThrow({ where: { id } }) : null;
}

/** Applies the wallet's answer to a hold or a release of a withdrawal. */
export const settleWithdrawalCall: Settler = async (tx, call, answer) => {
  const kind = (call.payload as { kind: string }).kind;
  if (!answer.ok) {
    if (kind === 'WITHDRAWAL_HOLD' && answer.refusal.code === 'INSUFFICIENT_FUNDS') {
      await tx.agentWithdrawal.deleteMany({ where: { id: call.subjectId, status: 'HOLDING' } });
      return { status: 'REFUSED' };
    }
    return { status: 'FAILED' };
  }
  if (kind === 'WITHDRAWAL_HOLD') {
    const held = await transition(tx, call.subjectId, 'HOLDING', { status: 'PENDING' });
    if (held) await announce(tx, 'AGENT_WITHDRAW_CREATED', held, described(held));
  } else {
    const declined = await transition(tx, call.subjectId, 'DECLINING', { status: 'DECLINED' });
    if (declined) await announce(tx, 'AGENT_WITHDRAW_DECLINED', declined, { ...described(declined), reason: declined.reason });
    const payDeclined = await transition(tx, call.subjectId, 'PAY_DECLINING', { status: 'PAY_DECLINED' });
    if (payDeclined) await announce(tx, 'AGENT_WITHDRAW_PAY_DECLINED', payDeclined, { ...described(payDeclined), reason: payDeclined.reason });
  }
  return { status: 'DONE' };
};

/** The withdrawal's call to the wallet: a hold, or a release of what it holds. */
function walletCall(tx: OutboxTransaction, withdrawal: AgentWithdrawal, brand: BrandRef, kind: 'WITHDRAWAL_HOLD' | 'WITHDRAWAL_RELEASE', causedBy: string): Promise<string> {
  return writeCall(tx, {
    kind: 'WALLET_MOVEMENT',
    brandId: withdrawal.brandId,
    subjectType: 'withdrawal',
    subjectId: withdrawal.id,
    request: (key) => ({ brand, agentId: withdrawal.agentId, kind, amount: withdrawal.amount, key, reference: `agent_withdrawal:${withdrawal.id}`, causedBy, reason: withdrawal.reason }),
  });
}

export interface WithdrawalRequest {
  amount: string;
  idempotencyKey?: string | null;
}

/**
 * An agent's withdrawal on the request's brand: the amount within the brand's withdrawal limits,
 * held at once (PENDING); HOLDING while the wallet has not answered (agent_worker completes it).
 * The same key answers the same withdrawal.
 */
export async function requestWithdrawal(
  deps: MoneyDeps,
  agentId: string,
  brand: BrandRef,
  input: WithdrawalRequest,
): Promise<AgentWithdrawal> {
  const amount = positiveAmount(input.amount, brand.currency);
  const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
  if (idempotencyKey) {
    const earlier = await deps.prisma.agentWithdrawal.findUnique({ where: { agentId_brandId_idempotencyKey: { agentId, brandId: brand.id, idempotencyKey } } });
    if (earlier) return sameRequest(earlier, amount);
  }
  await checkRequestLimits(deps.configs, brand, 'withdrawal', amount, deps.log);
  const id = randomUUID();
  const written = await writeOrFindEarlier(
    () =>
      outboxTransaction(deps.prisma, async (tx) => {
        const withdrawal = await tx.agentWithdrawal.create({ data: { id, brandId: brand.id, agentId, currency: brand.currency, amount, status: 'HOLDING', idempotencyKey } });
        return walletCall(tx, withdrawal, brand, 'WITHDRAWAL_HOLD', `agent:${agentId}`);
      }),
    idempotencyKey ? () => deps.prisma.agentWithdrawal.findUnique({ where: { agentId_brandId_idempotencyKey: { agentId, brandId: brand.id, idempotencyKey } } }) : null,
  );
  if ('earlier' in written) return sameRequest(written.earlier, amount);
  const outcome = await deps.calls.perform(written.callId, deps.call);
  const withdrawal = await deps.prisma.agentWithdrawal.findUnique({ where: { id } });
  if (!withdrawal) throw insufficientFunds(outcome, 'this withdrawal');
  return withdrawal;
}

function sameRequest(earlier: AgentWithdrawal, amount: bigint): AgentWithdrawal {
  if (earlier.amount !== amount) throw conflict('this idempotencyKey was used for another withdrawal');
  return earlier;
}

/** What staff decide about a PENDING or APPROVED withdrawal. */
export type Decision = 'approve' | 'decline' | 'markPaid' | 'declinePay';

const DECISIONS: Record<Decision, { from: AgentWithdrawalStatus; to: AgentWithdrawalStatus; event?: 'AGENT_WITHDRAW_APPROVED' | 'AGENT_WITHDRAW_PAID'; release?: true }> = {
  approve: { from: 'PENDING', to: 'APPROVED', event: 'AGENT_WITHDRAW_APPROVED' },
  decline: { from: 'PENDING', to: 'DECLINING', release: true },
  markPaid: { from: 'APPROVED', to: 'PAID', event: 'AGENT_WITHDRAW_PAID' },
  declinePay: { from: 'APPROVED', to: 'PAY_DECLINING', release: true },
};

/**
 * A staff decision on a withdrawal of the request's brand (another brand's is NOT_FOUND): one
 * conditional UPDATE, so of concurrent decisions exactly one wins and the others are CONFLICT
 * naming the status it left. A decline releases the held amount (DECLINING until the wallet
 * answers, then DECLINED). Audited as STAFF_ACTION_RECORDED.
 */
export async function decideWithdrawal(deps: MoneyDeps, brand: BrandRef, actor: StaffActor, id: string, decision: Decision, reason?: string): Promise<AgentWithdrawal> {
  const rule = DECISIONS[decision];
  const why = reason === undefined ? null : reason.trim();
  if (why !== null && (why.length < 1 || why.length > 500)) throw badUserInput('reason must be 1 to 500 characters');
  const found = isUuid(id) ? await deps.prisma.agentWithdrawal.findUnique({ where: { id } }) : null;
  if (!found || found.brandId !== brand.id) throw notFound('no such agent withdrawal');
  const callId = await outboxTransaction(deps.prisma, async (tx) => {
    const decided = await transition(tx, id, rule.from, { status: rule.to, reason: why ?? undefined, decidedBy: actor.staffId, decidedAt: new Date() });
    if (!decided) {
      const current = await tx.agentWithdrawal.findUniqueOrThrow({ where: { id } });
      throw conflict(`agent withdrawal ${id} is ${current.status}, not ${rule.from}`);
    }
    await recordStaffAction(tx, 'agent.outbox', brand.id, actor, {
      action: `agent_withdrawal.${decision}`,
      target_type: 'agent_withdrawal',
      target_id: id,
      before: { status: rule.from },
      after: { status: decided.status, reason: decided.reason },
    });
    if (rule.event) await announce(tx, rule.event, decided, described(decided));
    return rule.release ? walletCall(tx, decided, brand, 'WITHDRAWAL_RELEASE', `staff:${actor.staffId}`) : null;
  });
  if (callId) await deps.calls.perform(callId, deps.call);
  return deps.prisma.agentWithdrawal.findUniqueOrThrow({ where: { id } });
}

/** An agent's withdrawals on a brand, newest first. */
export function listWithdrawals(
  prisma: PrismaClient,
  filter: { brandId: string; agentId?: string | null; status?: AgentWithdrawalStatus | null },
  page: { first?: number | null; after?: string | null; offset?: number | null },
): Promise<Connection<AgentWithdrawal>> {
  if (filter.agentId && !isUuid(filter.agentId)) throw badUserInput('agentId must be a UUID');
  const where = { brandId: filter.brandId, ...(filter.agentId ? { agentId: filter.agentId } : {}), ...(filter.status ? { status: filter.status } : {}) };
  return paginate(
    page,
    (position, take, skip) => prisma.agentWithdrawal.findMany({ where: { ...where, ...position }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take, skip }),
    () => prisma.agentWithdrawal.count({ where }),
  );
}
