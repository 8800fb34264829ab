/**
 * The coupons agents grant their players (`/internal/promotion/agent-coupons`), over real HTTP,
 * PostgreSQL and Redis, paid by the real wallet and rolling: issued once per grant, redeemable by
 * their player only, recycled only unredeemed, and a redeem and a recycle racing never both won.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { BrandRef } from '@rgb/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import { expireCampaigns } from '../src/campaigns';
import { ADD_CODE, asPlayer, asStaff, CAMPAIGN, couponCredits, type CouponPlatform, dataOf, DISABLE_CAMPAIGN, errorOf, GENERATE_CODES, idOf, redeem, startCouponPlatform } from './helpers';

let platform: CouponPlatform;
beforeAll(async () => {
  platform = await startCouponPlatform();
}, 60_000);
afterAll(() => platform?.close());

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;

interface Answer {
  status: number;
  body: { coupon_code?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

/** A POST to promotion's `/internal/promotion/<path>` as the agent service (or with no token). */
async function internal(path: string, body: unknown, { token = true }: { token?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${await platform.promotion.deps.serviceTokens.signService('agent')}`;
  const response = await fetch(`${platform.promotion.url}/internal/promotion/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const brandBody = (brand: BrandRef) => ({ id: brand.id, code: brand.code, currency: brand.currency });

/** A grant's issue request for a new player of `brand`: 5.00 (500 minor units), no requirement, no end. */
const grantOf = (brand: BrandRef = demo(), terms: Record<string, unknown> = {}) => ({
  brand: brandBody(brand),
  grant_id: randomUUID(),
  agent_id: randomUUID(),
  player_id: randomUUID(),
  amount_minor: '500',
  rolling_multiplier_bps: 0,
  valid_until: null as string | null,
  ...terms,
});
type Grant = ReturnType<typeof grantOf>;

const issue = (grant: Grant) => internal('agent-coupons', grant);
const recycle = (grant: Grant, brand: BrandRef = demo()) => internal('agent-coupons/recycle', { brand: brandBody(brand), grant_id: grant.grant_id });

/** Issues the grant's coupon: its code. */
async function issued(grant: Grant): Promise<string> {
  const answer = await issue(grant);
  expect(answer).toMatchObject({ status: 200, body: { duplicate: false } });
  return answer.body.coupon_code!;
}

const grantCampaign = (grant: Grant) => platform.prisma.couponCampaign.findUniqueOrThrow({ where: { agentGrantId: grant.grant_id }, include: { codes: true } });
const playerOf = (grant: Grant) => asPlayer(demo(), grant.player_id);

describe('POST /internal/promotion/agent-coupons', () => {
  it("issues one campaign with one single-use generated code, its player's, on the grant's terms", async () => {
    const grant = grantOf(demo(), { rolling_multiplier_bps: 20_000, valid_until: '2999-01-01T00:00:00.000Z' });
    const code = await issued(grant);
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{12}$/);
    const campaign = await grantCampaign(grant);
    expect(campaign).toMatchObject({
      brandId: demo().id,
      currency: demo().currency,
      amount: 500n,
      rollingMultiplierBps: 20_000,
      validUntil: new Date('2999-01-01T00:00:00Z'),
      totalLimit: 1,
      perPlayerLimit: 1,
      budget: 500n,
      status: 'ACTIVE',
      agentGrantId: grant.grant_id,
      agentId: grant.agent_id,
      createdBy: null,
    });
    expect(campaign.codes).toMatchObject([{ code, singleUse: true, playerId: grant.player_id, brandId: demo().id }]);

    // Staff see whose grant it is, and whose code.
    const staffView = dataOf(
      await platform.promotion.graphql<{ couponCampaign: { agentGrantId: string; agentId: string; codes: { edges: { node: { code: string; player: { id: string } | null } }[] } } }>(
        `query ($id: ID!) { couponCampaign(id: $id) { agentGrantId agentId codes(first: 10) { edges { node { code player { id } } } } } }`,
        { id: campaign.id },
        asStaff(demo()),
      ),
    ).couponCampaign;
    expect(staffView).toEqual({ agentGrantId: grant.grant_id, agentId: grant.agent_id, codes: { edges: [{ node: { code, player: { id: grant.player_id } } }] } });
  });

  it('answers the same code for the same grant (duplicate), also when asked concurrently; CONFLICT on other terms, nothing written', async () => {
    const grant = grantOf();
    const answers = await Promise.all(Array.from({ length: 6 }, () => issue(grant)));
    expect(answers.map(({ status }) => status)).toEqual(Array(6).fill(200));
    const codes = new Set(answers.map(({ body }) => body.coupon_code));
    expect(codes.size).toBe(1);
    expect(answers.filter(({ body }) => body.duplicate === false)).toHaveLength(1);
    expect(await issue(grant)).toEqual({ status: 200, body: { coupon_code: [...codes][0], duplicate: true } });

    const counts = async () => ({ campaigns: await platform.prisma.couponCampaign.count(), codes: await platform.prisma.couponCode.count() });
    const before = await counts();
    for (const other of [
      { amount_minor: '501' },
      { player_id: randomUUID() },
      { agent_id: randomUUID() },
      { rolling_multiplier_bps: 10_000 },
      { valid_until: '2999-01-01T00:00:00Z' },
      { brand: brandBody(acme()) },
    ]) {
      expect(await issue({ ...grant, ...other })).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses bad requests (400) and callers without a service token (401), writing nothing', async () => {
    const before = await platform.prisma.couponCampaign.count();
    expect((await internal('agent-coupons', grantOf(), { token: false })).status).toBe(401);
    for (const bad of [{ amount_minor: '0' }, { amount_minor: '-5' }, { grant_id: 'grant-1' }, { rolling_multiplier_bps: 100_001 }]) {
      expect(await issue(grantOf(demo(), bad))).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    }
    expect(await platform.prisma.couponCampaign.count()).toBe(before);
  });

  it("refuses another player's code as an unknown one; its player redeems it, paid once with its requirement", async () => {
    const grant = grantOf(demo(), { rolling_multiplier_bps: 10_000 });
    const code = await issued(grant);
    const stranger = asPlayer(demo());
    const refused = errorOf(await redeem(platform.promotion, stranger, code));
    const unknown = errorOf(await redeem(platform.promotion, stranger, 'NOSUCHCODE99'));
    expect(refused).toEqual(unknown);
    expect(refused.code).toBe('NOT_FOUND');

    const player = playerOf(grant);
    const { redeemCoupon: coupon } = dataOf(await redeem(platform.promotion, player, code.toLowerCase()));
    expect(coupon).toMatchObject({ code, amount: '5.00', status: 'PAID', rollingMultiplierBps: 10_000, player: { id: grant.player_id } });
    expect(errorOf(await redeem(platform.promotion, player, code))).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'USED_UP' } });
    expect(await couponCredits(platform.prisma, grant.player_id)).toMatchObject([{ amount: 500n, commandKey: `promotion.credit:${demo().id}:coupon:${coupon.id}` }]);
    expect(await platform.prisma.rolling.findMany({ where: { playerId: grant.player_id } })).toMatchObject([{ sourceId: coupon.id, required: 500n }]);
    expect(await grantCampaign(grant)).toMatchObject({ redeemed: 1, spent: 500n });
    await expectBooks(platform.admin, { [grant.player_id]: 500n, [idOf(stranger)]: null });
  });

  it("takes no code from staff: a grant's campaign has its one code (CONFLICT)", async () => {
    const grant = grantOf();
    await issued(grant);
    const campaign = await grantCampaign(grant);
    expect(errorOf(await platform.promotion.graphql(ADD_CODE, { campaignId: campaign.id, code: `X${randomUUID().slice(0, 8)}` }, asStaff(demo()))).code).toBe('CONFLICT');
    expect(errorOf(await platform.promotion.graphql(GENERATE_CODES, { campaignId: campaign.id, count: 1 }, asStaff(demo()))).code).toBe('CONFLICT');
    expect(await platform.prisma.couponCode.count({ where: { campaignId: campaign.id } })).toBe(1);
  });
});

describe('POST /internal/promotion/agent-coupons/recycle', () => {
  it('recycles an unused coupon (RECYCLED, ended), then refuses its redemption (RECYCLED); again: duplicate', async () => {
    const grant = grantOf();
    const code = await issued(grant);
    expect(await recycle(grant)).toEqual({ status: 200, body: { duplicate: false } });
    const campaign = await grantCampaign(grant);
    expect(campaign).toMatchObject({ status: 'RECYCLED', endedAt: expect.any(Date), redeemed: 0 });
    expect(errorOf(await redeem(platform.promotion, playerOf(grant), code))).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'RECYCLED' } });
    expect(await recycle(grant)).toEqual({ status: 200, body: { duplicate: true } });
    // Issuing the grant again answers its code, still recycled.
    expect(await issue(grant)).toEqual({ status: 200, body: { coupon_code: code, duplicate: true } });
    const staffView = await platform.promotion.graphql<{ couponCampaign: { status: string; endedAt: string } }>(CAMPAIGN, { id: campaign.id }, asStaff(demo()));
    expect(dataOf(staffView).couponCampaign).toMatchObject({ status: 'RECYCLED', endedAt: campaign.endedAt!.toISOString() });
    expect(await couponCredits(platform.prisma, grant.player_id)).toEqual([]);
  });

  it('refuses a redeemed coupon (CONFLICT), leaving it as it was', async () => {
    const grant = grantOf();
    const code = await issued(grant);
    dataOf(await redeem(platform.promotion, playerOf(grant), code));
    expect(await recycle(grant)).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(await grantCampaign(grant)).toMatchObject({ status: 'ACTIVE', redeemed: 1, endedAt: null });
    await expectBooks(platform.admin, { [grant.player_id]: 500n });
  });

  it('refuses a claimed redemption that may still pay (a FAILED one too), but not one staff canceled', async () => {
    const grant = grantOf();
    const code = await issued(grant);
    const down = await platform.startPromotionWithWalletDown();
    expect(errorOf(await redeem(down, playerOf(grant), code)).code).toBe('SERVICE_UNAVAILABLE');
    const [redemption] = await platform.prisma.couponRedemption.findMany({ where: { playerId: grant.player_id } });
    await platform.prisma.couponRedemption.update({ where: { id: redemption!.id }, data: { status: 'FAILED' } });
    expect(await recycle(grant)).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await grantCampaign(grant)).status).toBe('ACTIVE');

    // Staff give the FAILED one up: it can never pay, so the agent may have its money back.
    const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelCouponRedemption(id: $id, reason: $reason) { status } }`;
    expect(dataOf(await platform.promotion.graphql(CANCEL, { id: redemption!.id, reason: 'player left' }, asStaff(demo())))).toEqual({ cancelCouponRedemption: { status: 'CANCELED' } });
    expect(await recycle(grant)).toMatchObject({ status: 200, body: { duplicate: false } });
    expect((await grantCampaign(grant)).status).toBe('RECYCLED');
    await expectBooks(platform.admin, { [grant.player_id]: null });
  });

  it('recycles an expired one (the expiry job marks grants as any campaign)', async () => {
    const grant = grantOf(demo(), { valid_until: '2999-01-01T00:00:00Z' });
    const code = await issued(grant);
    const { id } = await grantCampaign(grant);
    await platform.prisma.couponCampaign.update({ where: { id }, data: { validUntil: new Date(Date.now() - 1_000) } });
    expect(await expireCampaigns(platform.prisma)).toBeGreaterThanOrEqual(1);
    expect((await grantCampaign(grant)).status).toBe('EXPIRED');
    expect(errorOf(await redeem(platform.promotion, playerOf(grant), code))).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'EXPIRED' } });
    expect(await recycle(grant)).toEqual({ status: 200, body: { duplicate: false } });
    expect((await grantCampaign(grant)).status).toBe('RECYCLED');
  });

  it('issues a grant whose validity ended before its (retried) issue arrived: lapsed at once, recyclable', async () => {
    const grant = grantOf(demo(), { valid_until: '2000-01-01T00:00:00Z' });
    const code = await issued(grant);
    expect(errorOf(await redeem(platform.promotion, playerOf(grant), code))).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'EXPIRED' } });
    expect(await recycle(grant)).toEqual({ status: 200, body: { duplicate: false } });
  });

  it('recycles one staff disabled; staff cannot disable a recycled one (CONFLICT)', async () => {
    const disabled = grantOf();
    await issued(disabled);
    dataOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: (await grantCampaign(disabled)).id, reason: 'abuse' }, asStaff(demo())));
    expect(await recycle(disabled)).toEqual({ status: 200, body: { duplicate: false } });
    expect((await grantCampaign(disabled)).status).toBe('RECYCLED');
    const recycled = grantOf();
    await issued(recycled);
    await recycle(recycled);
    expect(errorOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: (await grantCampaign(recycled)).id, reason: 'late' }, asStaff(demo()))).code).toBe('CONFLICT');
  });

  it("answers NOT_FOUND for a grant with no coupon, or another brand's", async () => {
    const grant = grantOf();
    expect(await recycle(grant)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    await issued(grant);
    expect(await recycle(grant, acme())).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await grantCampaign(grant)).status).toBe('ACTIVE');
    expect((await internal('agent-coupons/recycle', { brand: brandBody(demo()), grant_id: grant.grant_id }, { token: false })).status).toBe(401);
  });

  /** How much later each pair's recycle starts than the pair before's. */
  const RACE_STEP_MS = 8;

  it('never lets a redeem and a recycle racing both win: 20 fresh grants, exactly one of each pair', async () => {
    const grants = Array.from({ length: 20 }, () => grantOf());
    const codes = await Promise.all(grants.map(issued));
    const outcomes = await Promise.all(
      grants.map(async (grant, index) => {
        // A redeem takes longer to reach the campaign's lock than a recycle: recycles start later and later, so pairs meet on either side of the claim.
        const [redeemed, recycled] = await Promise.all([redeem(platform.promotion, playerOf(grant), codes[index]!), setTimeout(index * RACE_STEP_MS).then(() => recycle(grant))]);
        return { grant, redeemed, recycled };
      }),
    );
    const books: Record<string, bigint> = {};
    for (const { grant, redeemed, recycled } of outcomes) {
      const campaign = await grantCampaign(grant);
      const redemptions = await platform.prisma.couponRedemption.findMany({ where: { campaignId: campaign.id } });
      if (redeemed.body.errors) {
        expect(errorOf(redeemed)).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'RECYCLED' } });
        expect(recycled).toEqual({ status: 200, body: { duplicate: false } });
        expect(campaign).toMatchObject({ status: 'RECYCLED', redeemed: 0 });
        expect(redemptions).toEqual([]);
        books[grant.player_id] = 0n;
      } else {
        expect(dataOf(redeemed).redeemCoupon.status).toBe('PAID');
        expect(recycled).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
        expect(campaign).toMatchObject({ status: 'ACTIVE', redeemed: 1 });
        expect(redemptions).toMatchObject([{ status: 'PAID' }]);
        books[grant.player_id] = 500n;
      }
    }
    // No player without a credit has a wallet account: the books read null for them.
    await expectBooks(platform.admin, Object.fromEntries(Object.entries(books).map(([player, balance]) => [player, balance === 0n ? null : balance])));
  });
});
