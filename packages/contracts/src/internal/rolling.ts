import { z } from 'zod';
import { type BrandRef, brandRefWire, minorAmount, wireOfBrand } from './wallet';
import { defineRoute } from './route';

/**
 * `/internal/rolling/*`: what the rolling domain answers the other services. The wallet asks it
 * before every withdrawal; the promotion domain asks it for a bonus's wagering requirement.
 */

const uuid = z.uuid();

/** Why a withdrawal must wait. */
export const WITHDRAWAL_HOLD_REASONS = [
  /** The player has a requirement not yet turned over. */
  'ACTIVE_REQUIREMENT',
  /** The wallet approved deposits that rolling has not processed yet: their requirements may not exist yet. */
  'DEPOSITS_NOT_PROCESSED',
] as const;
export type WithdrawalHoldReason = (typeof WITHDRAWAL_HOLD_REASONS)[number];

export interface WithdrawalCheck {
  brand: BrandRef;
  playerId: string;
  /** How many of the player's deposits the wallet has approved, so rolling can tell whether it has seen them all. */
  approvedDeposits: number;
}

export interface RequirementRequest {
  brand: BrandRef;
  playerId: string;
  /** The credit the requirement is for: `promotion` for now. */
  source: 'PROMOTION';
  /** The caller's id of the credit (a coupon redemption, a settlement item): one requirement per source id, ever. */
  sourceId: string;
  /** The credited amount, in minor units. */
  amount: bigint;
  /** Turnover required, in basis points of the amount (10000 = once the amount; 0 = none). */
  multiplierBps: number;
  /** When it lapses; null for the brand's default expiry. */
  expiresAt: Date | null;
}

export interface RequirementCancel {
  brand: BrandRef;
  source: 'PROMOTION';
  /** The caller's id of the credit the requirement was made for. */
  sourceId: string;
  /** Why: kept on the requirement and in ROLLING_CANCELED. */
  reason: string;
}

export const rollingRoutes = {
  withdrawalCheck: defineRoute({
    method: 'POST',
    path: '/internal/rolling/withdrawal-check',
    request: z
      .object({ brand: brandRefWire, player_id: uuid, approved_deposits: z.number().int().min(0) })
      .transform((body): WithdrawalCheck => ({ brand: body.brand, playerId: body.player_id, approvedDeposits: body.approved_deposits })),
    toWire: (check) => ({ brand: wireOfBrand(check.brand), player_id: check.playerId, approved_deposits: check.approvedDeposits }),
    response: z.object({
      allowed: z.boolean(),
      /** Null when allowed. */
      reason: z.enum(WITHDRAWAL_HOLD_REASONS).nullable(),
      /** Active requirements and the turnover they still need, in minor units. */
      active_requirements: z.number().int().min(0),
      remaining_minor: z.string().regex(/^\d+$/),
    }),
  }),
  requirement: defineRoute({
    method: 'POST',
    path: '/internal/rolling/requirements',
    request: z
      .object({
        brand: brandRefWire,
        player_id: uuid,
        source: z.literal('PROMOTION'),
        source_id: z.string().min(1).max(200),
        amount_minor: minorAmount,
        multiplier_bps: z.number().int().min(0).max(100_000),
        expires_at: z.iso.datetime({ offset: true }).nullable(),
      })
      .transform(
        (body): RequirementRequest => ({
          brand: body.brand,
          playerId: body.player_id,
          source: body.source,
          sourceId: body.source_id,
          amount: body.amount_minor,
          multiplierBps: body.multiplier_bps,
          expiresAt: body.expires_at ? new Date(body.expires_at) : null,
        }),
      ),
    toWire: (request) => ({
      brand: wireOfBrand(request.brand),
      player_id: request.playerId,
      source: request.source,
      source_id: request.sourceId,
      amount_minor: request.amount.toString(),
      multiplier_bps: request.multiplierBps,
      expires_at: request.expiresAt?.toISOString() ?? null,
    }),
    /** `rolling_id` null: a zero multiplier (or amount) asks for nothing. A repeat answers the first call's requirement. */
    response: z.object({ rolling_id: uuid.nullable(), duplicate: z.boolean() }),
    /** CONFLICT: the source id was used for another player, amount or multiplier. NOT_FOUND: a brand the admin domain does not know. */
    errors: ['CONFLICT', 'NOT_FOUND'],
  }),
  cancelRequirement: defineRoute({
    method: 'POST',
    path: '/internal/rolling/requirements/cancel',
    request: z
      .object({ brand: brandRefWire, source: z.literal('PROMOTION'), source_id: z.string().min(1).max(200), reason: z.string().trim().min(1).max(500) })
      .transform((body): RequirementCancel => ({ brand: body.brand, source: body.source, sourceId: body.source_id, reason: body.reason })),
    toWire: (request) => ({ brand: wireOfBrand(request.brand), source: request.source, source_id: request.sourceId, reason: request.reason }),
    /**
     * The source's requirement CANCELED if it was ACTIVE (`canceled`); one already ended is left
     * as it is, and no requirement at all answers `rolling_id` null: asking again changes nothing.
     */
    response: z.object({ rolling_id: uuid.nullable(), status: z.enum(['ACTIVE', 'COMPLETED', 'CANCELED', 'EXPIRED']).nullable(), canceled: z.boolean() }),
  }),
};
