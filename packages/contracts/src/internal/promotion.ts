import { z } from 'zod';
import { type BrandRef, brandRefWire, minorAmount, wireOfBrand } from './wallet';
import { defineRoute } from './route';

/**
 * `/internal/promotion/*`: what the promotion domain does for the other services. The agent domain
 * issues the coupons an agent grants its players (after charging the agent through the wallet) and
 * recycles the ones never redeemed (before refunding the agent).
 */

const uuid = z.uuid();

/** A coupon an agent grants one of its players, paid for by the agent. */
export interface AgentCouponIssue {
  brand: BrandRef;
  /** The agent domain's grant: one coupon per grant, ever. */
  grantId: string;
  agentId: string;
  /** Only this player may redeem it. */
  playerId: string;
  /** What redeeming it credits, in minor units. */
  amount: bigint;
  /** Turnover the bonus requires, in basis points of the amount (10000 = once; 0 = none). */
  rollingMultiplierBps: number;
  /** When it lapses unredeemed; null: never. */
  validUntil: Date | null;
}

export const promotionRoutes = {
  /** Issues the grant's coupon, or answers the one issued before (duplicate); the same grant with other terms is a CONFLICT. */
  agentCouponIssue: defineRoute({
    method: 'POST',
    path: '/internal/promotion/agent-coupons',
    request: z
      .object({
        brand: brandRefWire,
        grant_id: uuid,
        agent_id: uuid,
        player_id: uuid,
        amount_minor: minorAmount.refine((amount) => amount > 0n, 'must be positive'),
        rolling_multiplier_bps: z.number().int().min(0).max(100_000),
        valid_until: z.iso.datetime({ offset: true }).nullable(),
      })
      .transform(
        (body): AgentCouponIssue => ({
          brand: body.brand,
          grantId: body.grant_id,
          agentId: body.agent_id,
          playerId: body.player_id,
          amount: body.amount_minor,
          rollingMultiplierBps: body.rolling_multiplier_bps,
          validUntil: body.valid_until === null ? null : new Date(body.valid_until),
        }),
      ),
    toWire: (issue) => ({
      brand: wireOfBrand(issue.brand),
      grant_id: issue.grantId,
      agent_id: issue.agentId,
      player_id: issue.playerId,
      amount_minor: issue.amount.toString(),
      rolling_multiplier_bps: issue.rollingMultiplierBps,
      valid_until: issue.validUntil?.toISOString() ?? null,
    }),
    response: z.object({ coupon_code: z.string(), duplicate: z.boolean() }),
    errors: ['CONFLICT'],
  }),
  /**
   * Withdraws the grant's coupon if it was never redeemed (expired or not): from then on it cannot
   * be. CONFLICT once a redemption has claimed it; NOT_FOUND for a grant with no coupon. Recycling a
   * recycled coupon answers again (duplicate).
   */
  agentCouponRecycle: defineRoute({
    method: 'POST',
    path: '/internal/promotion/agent-coupons/recycle',
    request: z
      .object({ brand: brandRefWire, grant_id: uuid })
      .transform((body): { brand: BrandRef; grantId: string } => ({ brand: body.brand, grantId: body.grant_id })),
    toWire: (recycle) => ({ brand: wireOfBrand(recycle.brand), grant_id: recycle.grantId }),
    response: z.object({ duplicate: z.boolean() }),
    errors: ['CONFLICT', 'NOT_FOUND'],
  }),
};
