import { badUserInput, conflict, formatMoney, notFound, parseMoneyInput } from '@rgb/contracts';
import { type CouponCampaign, type CouponCode, type Prisma, type PrismaClient, uniqueViolation } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, isUuid, parseInstant } from '@rgb/kit';
import { generateCode, MAX_GENERATED_CODES, namedCode } from './codes';
import { auditedChange } from './staff-actions';

/** Staff's side of coupons: campaigns, their codes, disabling them; and their expiry by schedule. */

export const MAX_MULTIPLIER_BPS = 100_000;

export interface CampaignInput {
  name: string;
  amount: string;
  rollingMultiplierBps: number;
  validFrom?: string | null;
  validUntil?: string | null;
  totalLimit?: number | null;
  /** 1 when absent. */
  perPlayerLimit?: number | null;
  budget?: string | null;
}

const isCount = (value: number) => Number.isInteger(value) && value >= 1 && value <= 2_147_483_647;

/** The campaign a staff member asked for, checked: BAD_USER_INPUT names the first field that is wrong. */
function campaignOf(input: CampaignInput, brand: BrandRef, now: Date) {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw badUserInput('name must be 1 to 100 characters');
  const amount = parseMoneyInput(input.amount, brand.currency, { name: 'amount' });
  const multiplier = input.rollingMultiplierBps;
  if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > MAX_MULTIPLIER_BPS) {
    throw badUserInput(`rollingMultiplierBps must be basis points from 0 to ${MAX_MULTIPLIER_BPS}`);
  }
  const validFrom = parseInstant(input.validFrom, 'validFrom') ?? now;
  const validUntil = parseInstant(input.validUntil, 'validUntil') ?? null;
  if (validUntil && (validUntil <= validFrom || validUntil <= now)) throw badUserInput('validUntil must be after validFrom and in the future');
  const totalLimit = input.totalLimit ?? null;
  if (totalLimit !== null && !isCount(totalLimit)) throw badUserInput('totalLimit must be a whole number of at least 1');
  const perPlayerLimit = input.perPlayerLimit ?? 1;
  if (!isCount(perPlayerLimit)) throw badUserInput('perPlayerLimit must be a whole number of at least 1');
  const budget = input.budget ? parseMoneyInput(input.budget, brand.currency, { name: 'budget' }) : null;
  if (budget !== null && budget < amount) throw badUserInput('budget must cover at least one redemption (the amount)');
  return {
    brandId: brand.id,
    name,
    currency: brand.currency,
    amount,
    rollingMultiplierBps: multiplier,
    validFrom,
    validUntil,
    totalLimit,
    perPlayerLimit,
    budget,
  };
}

/** What the audit keeps of a campaign. */
const auditOf = (campaign: CouponCampaign) => ({
  name: campaign.name,
  amount: formatMoney(campaign.amount, campaign.currency),
  rolling_multiplier_bps: campaign.rollingMultiplierBps,
  valid_from: campaign.validFrom.toISOString(),
  valid_until: campaign.validUntil?.toISOString() ?? null,
  total_limit: campaign.totalLimit,
  per_player_limit: campaign.perPlayerLimit,
  budget: campaign.budget === null ? null : formatMoney(campaign.budget, campaign.currency),
  status: campaign.status,
});

export function createCampaign(prisma: PrismaClient, brand: BrandRef, input: CampaignInput, actor: StaffActor): Promise<CouponCampaign> {
  const data = campaignOf(input, brand, new Date());
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const campaign = await tx.couponCampaign.create({ data: { ...data, createdBy: actor.staffId } });
    return { result: campaign, action: { action: 'coupon_campaign.create', target_type: 'coupon_campaign', target_id: campaign.id, before: null, after: auditOf(campaign) } };
  });
}

/** The brand's campaign of this id, locked for the change; NOT_FOUND otherwise. */
async function lockCampaign(tx: Prisma.TransactionClient, brand: BrandRef, id: string): Promise<CouponCampaign> {
  if (!isUuid(id)) throw notFound(`no coupon campaign ${id}`);
  const [locked] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM promotion.coupon_campaign WHERE id = ${id}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
  if (!locked) throw notFound(`no coupon campaign ${id}`);
  return tx.couponCampaign.findUniqueOrThrow({ where: { id } });
}

/** Only a campaign that may still be redeemed is changed: not a disabled, expired or recycled one. */
function checkOpen(campaign: CouponCampaign): void {
  if (campaign.status !== 'ACTIVE') throw conflict(`coupon campaign ${campaign.id} is ${campaign.status}`);
}

/** Codes are added to an open campaign of staff's: an agent grant's has its one code, its player's. */
function checkTakesCodes(campaign: CouponCampaign): void {
  checkOpen(campaign);
  if (campaign.agentGrantId !== null) throw conflict(`coupon campaign ${campaign.id} is an agent grant's: it has its one code`);
}

/** A named code of the campaign; CONFLICT when the brand has the code already (in any campaign). */
export async function addNamedCode(prisma: PrismaClient, brand: BrandRef, campaignId: string, input: string, actor: StaffActor): Promise<CouponCode> {
  const code = namedCode(input);
  try {
    return await auditedChange(prisma, brand.id, actor, async (tx) => {
      checkTakesCodes(await lockCampaign(tx, brand, campaignId));
      const created = await tx.couponCode.create({ data: { brandId: brand.id, campaignId, code, singleUse: false } });
      return { result: created, action: { action: 'coupon_code.add', target_type: 'coupon_campaign', target_id: campaignId, before: null, after: { code } } };
    });
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(`the brand has a coupon code ${code} already`);
    throw error;
  }
}

/** `count` new single-use codes of the campaign; a code the brand has already is drawn again. */
export async function generateCodes(prisma: PrismaClient, brand: BrandRef, campaignId: string, count: number, actor: StaffActor): Promise<CouponCode[]> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_GENERATED_CODES) throw badUserInput(`count must be 1 to ${MAX_GENERATED_CODES}`);
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    checkTakesCodes(await lockCampaign(tx, brand, campaignId));
    const created: CouponCode[] = [];
    while (created.length < count) {
      const drawn = new Set(Array.from({ length: count - created.length }, generateCode));
      created.push(
        ...(await tx.couponCode.createManyAndReturn({
          data: [...drawn].map((code) => ({ brandId: brand.id, campaignId, code, singleUse: true })),
          skipDuplicates: true,
        })),
      );
    }
    return { result: created, action: { action: 'coupon_code.generate', target_type: 'coupon_campaign', target_id: campaignId, before: null, after: { count } } };
  });
}

/** Stops an active campaign's redemptions; those already claimed are still paid. */
export function disableCampaign(prisma: PrismaClient, brand: BrandRef, id: string, reason: string, actor: StaffActor): Promise<CouponCampaign> {
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const campaign = await lockCampaign(tx, brand, id);
    checkOpen(campaign);
    const disabled = await tx.couponCampaign.update({ where: { id }, data: { status: 'DISABLED', endedAt: new Date() } });
    return {
      result: disabled,
      action: { action: 'coupon_campaign.disable', target_type: 'coupon_campaign', target_id: id, before: { status: campaign.status }, after: { status: 'DISABLED', reason: why } },
    };
  });
}

/** Marks the active campaigns past their validUntil EXPIRED; how many. Redemptions stop at validUntil whether or not this ran. */
export function expireCampaigns(prisma: PrismaClient): Promise<number> {
  return prisma.$executeRaw`
    UPDATE promotion.coupon_campaign SET status = 'EXPIRED', ended_at = now()
    WHERE status = 'ACTIVE' AND valid_until <= now()`;
}
