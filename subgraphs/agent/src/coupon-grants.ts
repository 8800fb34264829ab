import { randomUUID } from 'node:crypto';
import { badUserInput, conflict, DomainError, ErrorCode, notFound } from '@rgb/contracts';
import type { AgentCouponGrant, AgentCouponGrantStatus, PrismaClient } from '@rgb/db';
import { appendToOutbox, type OutboxTransaction, outboxTransaction } from '@rgb/events';
import { type BrandRef, type Connection, isUuid, paginate } from '@rgb/kit';
import { type Settler, writeCall } from './calls';
import { idempotencyKeyOf, insufficientFunds, type MoneyDeps, positiveAmount, writeOrFindEarlier } from './money';

/**
 * Coupons an agent grants the players it referred, paid for by the agent: CHARGING (the wallet's
 * COUPON_GRANT on its way) → ISSUING (promotion's coupon on its way) → GRANTED, with the code.
 * Recycling an unredeemed one: RECYCLING (promotion withdraws it) → REFUNDING (the wallet's
 * COUPON_RECYCLE) → RECYCLED; once redeemed, promotion refuses and it is GRANTED again. A charge
 * the balance does not cover deletes the grant: INSUFFICIENT_FUNDS, nothing of it remains.
 */

const MAX_VALID_DAYS = 365;
const DAY_MS = 86_400_000;

/** The validDays a grant was asked with: its validUntil is exactly that many days after its creation. */
const validDaysOf = (grant: AgentCouponGrant): number | null => (grant.validUntil === null ? null : (grant.validUntil.getTime() - grant.createdAt.getTime()) / DAY_MS);

async function announce(tx: OutboxTransaction, type: 'AGENT_COUPON_GRANTED' | 'AGENT_COUPON_RECYCLED', grant: AgentCouponGrant): Promise<void> {
  await appendToOutbox(tx, 'agent.outbox', {
    type,
    owner: { brandId: grant.brandId },
    brandId: grant.brandId,
    aggregateType: 'agent_coupon_grant',
    aggregateId: grant.id,
    payload: { coupon_id: grant.id, agent_id: grant.agentId, player_id: grant.playerId, code: grant.code!, amount_minor: grant.amount.toString(), currency: grant.currency },
  });
}

async function transition(tx: OutboxTransaction, id: string, from: AgentCouponGrantStatus, data: Partial<AgentCouponGrant> & { status: AgentCouponGrantStatus }): Promise<AgentCouponGrant | null> {
  const { count } = await tx.agentCouponGrant.updateMany({ where: { id, status: from }, data });
  return count === 1 ? tx.agentCouponGrant.findUniqueOrThrow({ where: { id } }) : null;
}

const brandOf = (call: { payload: unknown }): BrandRef => (call.payload as { brand: BrandRef }).brand;

function walletCall(tx: OutboxTransaction, grant: AgentCouponGrant, brand: BrandRef, kind: 'COUPON_GRANT' | 'COUPON_RECYCLE'): Promise<string> {
  return writeCall(tx, {
    kind: 'WALLET_MOVEMENT',
    brandId: grant.brandId,
    subjectType: 'coupon_grant',
    subjectId: grant.id,
    request: (key) => ({ brand, agentId: grant.agentId, kind, amount: grant.amount, key, reference: `agent_coupon_grant:${grant.id}`, causedBy: `agent:${grant.agentId}`, reason: null }),
  });
}

/** Applies an answer of the wallet (charge, refund) or of promotion (issue, recycle) to a grant, writing its next call. */
export const settleCouponGrantCall: Settler = async (tx, call, answer) => {
  // The wallet's COUPON_RECYCLE (the refund) and promotion's (the recycle) are different steps.
  const step = call.kind === 'WALLET_MOVEMENT' ? `wallet ${(call.payload as { kind: string }).kind}` : call.kind;
  const brand = brandOf(call);
  if (!answer.ok) {
    if (step === 'wallet COUPON_GRANT' && answer.refusal.code === 'INSUFFICIENT_FUNDS') {
      await tx.agentCouponGrant.deleteMany({ where: { id: call.subjectId, status: 'CHARGING' } });
      return { status: 'REFUSED' };
    }
    if (step === 'COUPON_RECYCLE' && answer.refusal.code === 'CONFLICT') {
      await transition(tx, call.subjectId, 'RECYCLING', { status: 'GRANTED' });
      return { status: 'REFUSED' };
    }
    return { status: 'FAILED' };
  }
  switch (step) {
    case 'wallet COUPON_GRANT': {
      const charged = await transition(tx, call.subjectId, 'CHARGING', { status: 'ISSUING' });
      if (!charged) return { status: 'DONE' };
      const next = await writeCall(tx, {
        kind: 'COUPON_ISSUE',
        brandId: charged.brandId,
        subjectType: 'coupon_grant',
        subjectId: charged.id,
        request: () => ({
          brand,
          grantId: charged.id,
          agentId: charged.agentId,
          playerId: charged.playerId,
          amount: charged.amount,
          rollingMultiplierBps: charged.rollingMultiplierBps,
          validUntil: charged.validUntil,
        }),
      });
      return { status: 'DONE', next };
    }
    case 'COUPON_ISSUE': {
      const granted = await transition(tx, call.subjectId, 'ISSUING', { status: 'GRANTED', code: String(answer.value.coupon_code) });
      if (granted) await announce(tx, 'AGENT_COUPON_GRANTED', granted);
      return { status: 'DONE' };
    }
    case 'COUPON_RECYCLE': {
      const recycled = await transition(tx, call.subjectId, 'RECYCLING', { status: 'REFUNDING' });
      return recycled ? { status: 'DONE', next: await walletCall(tx, recycled, brand, 'COUPON_RECYCLE') } : { status: 'DONE' };
    }
    case 'wallet COUPON_RECYCLE': {
      const refunded = await transition(tx, call.subjectId, 'REFUNDING', { status: 'RECYCLED' });
      if (refunded) await announce(tx, 'AGENT_COUPON_RECYCLED', refunded);
      return { status: 'DONE' };
    }
    default:
      throw new Error(`coupon grant ${call.subjectId}: no step answers a ${step} call`);
  }
};

export interface GrantRequest {
  playerId: string;
  amount: string;
  validDays?: number | null;
  idempotencyKey?: string | null;
}

/**
 * A coupon granted by an agent to a player it referred itself on the request's brand (any other
 * player is NOT_FOUND): charged to the agent, then issued by promotion with the brand's deposit
 * rolling multiplier. The same key answers the same grant, charged once.
 */
export async function grantCoupon(deps: MoneyDeps, agentId: string, brand: BrandRef, input: GrantRequest): Promise<AgentCouponGrant> {
  const amount = positiveAmount(input.amount, brand.currency);
  const idempotencyKey = idempotencyKeyOf(input.idempotencyKey);
  const validDays = input.validDays ?? null;
  if (validDays !== null && (!Number.isInteger(validDays) || validDays < 1 || validDays > MAX_VALID_DAYS)) throw badUserInput(`validDays must be 1 to ${MAX_VALID_DAYS}`);
  const referred = isUuid(input.playerId) ? await deps.prisma.agentPlayer.findUnique({ where: { playerId: input.playerId } }) : null;
  if (!referred || referred.agentId !== agentId || referred.brandId !== brand.id) throw notFound('no such player of this agent');
  const sameGrant = (earlier: AgentCouponGrant) => {
    if (earlier.amount !== amount || earlier.playerId !== input.playerId || validDaysOf(earlier) !== validDays) throw conflict('this idempotencyKey was used for another coupon grant');
    return earlier;
  };
  const byKey = idempotencyKey ? { agentId_brandId_idempotencyKey: { agentId, brandId: brand.id, idempotencyKey } } : null;
  if (byKey) {
    const earlier = await deps.prisma.agentCouponGrant.findUnique({ where: byKey });
    if (earlier) return sameGrant(earlier);
  }
  const rollingMultiplierBps = await depositRollingMultiplier(deps, brand);
  const id = randomUUID();
  const createdAt = new Date();
  const written = await writeOrFindEarlier(
    () =>
      outboxTransaction(deps.prisma, async (tx) => {
        const grant = await tx.agentCouponGrant.create({
          data: {
            id,
            brandId: brand.id,
            agentId,
            playerId: input.playerId,
            currency: brand.currency,
            amount,
            rollingMultiplierBps,
            createdAt,
            validUntil: validDays === null ? null : new Date(createdAt.getTime() + validDays * DAY_MS),
            status: 'CHARGING',
            idempotencyKey,
          },
        });
        return walletCall(tx, grant, brand, 'COUPON_GRANT');
      }),
    byKey && (() => deps.prisma.agentCouponGrant.findUnique({ where: byKey })),
  );
  if ('earlier' in written) return sameGrant(written.earlier);
  const outcome = await deps.calls.perform(written.callId, deps.call);
  const grant = await deps.prisma.agentCouponGrant.findUnique({ where: { id } });
  if (!grant) throw insufficientFunds(outcome, 'this coupon');
  return grant;
}

async function depositRollingMultiplier({ configs, log }: MoneyDeps, brand: BrandRef): Promise<number> {
  try {
    const config = await configs.get(brand.id);
    if (config) return config.deposit_rolling_multiplier_bps;
    log.error({ brand_id: brand.id }, 'the brand has no config, so no rolling multiplier: the coupon grant is refused');
  } catch (error) {
    log.error({ err: error, brand_id: brand.id }, 'the brand config could not be read: the coupon grant is refused');
  }
  throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "coupon grants cannot read the brand's rolling multiplier right now; try again shortly");
}

/**
 * The granting agent takes back a GRANTED coupon never redeemed, and is refunded (RECYCLED once
 * both calls are answered). Promotion refusing it (redeemed meanwhile) leaves it GRANTED: CONFLICT.
 * Another agent's grant, or another brand's, is NOT_FOUND.
 */
export async function recycleCoupon(deps: MoneyDeps, agentId: string, brand: BrandRef, id: string): Promise<AgentCouponGrant> {
  const found = isUuid(id) ? await deps.prisma.agentCouponGrant.findUnique({ where: { id } }) : null;
  if (!found || found.agentId !== agentId || found.brandId !== brand.id) throw notFound('no such coupon grant');
  const callId = await outboxTransaction(deps.prisma, async (tx) => {
    const recycling = await transition(tx, id, 'GRANTED', { status: 'RECYCLING' });
    if (!recycling) throw conflict(`coupon grant ${id} is ${(await tx.agentCouponGrant.findUniqueOrThrow({ where: { id } })).status}, not GRANTED`);
    return writeCall(tx, { kind: 'COUPON_RECYCLE', brandId: brand.id, subjectType: 'coupon_grant', subjectId: id, request: () => ({ brand, grantId: id }) });
  });
  const outcome = await deps.calls.perform(callId, deps.call);
  if (outcome.status === 'REFUSED') throw conflict(`coupon grant ${id} cannot be recycled: ${outcome.refusal?.message ?? 'promotion refused'}`);
  return deps.prisma.agentCouponGrant.findUniqueOrThrow({ where: { id } });
}

/** An agent's coupon grants on a brand, newest first. */
export function listCouponGrants(
  prisma: PrismaClient,
  filter: { brandId: string; agentId: string; status?: AgentCouponGrantStatus | null },
  page: { first?: number | null; after?: string | null; offset?: number | null },
): Promise<Connection<AgentCouponGrant>> {
  const where = { brandId: filter.brandId, agentId: filter.agentId, ...(filter.status ? { status: filter.status } : {}) };
  return paginate(
    page,
    (position, take, skip) => prisma.agentCouponGrant.findMany({ where: { ...where, ...position }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take, skip }),
    () => prisma.agentCouponGrant.count({ where }),
  );
}
