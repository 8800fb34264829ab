/**
 * Coupons end to end over real HTTP, PostgreSQL and Redis: staff campaigns and codes, players'
 * redemptions credited by the real wallet with the real rolling's requirement, every refusal,
 * and the limits and budget under concurrent redemptions.
 */
import { randomUUID } from 'node:crypto';
import { staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import {
  ADD_CODE,
  asPlayer,
  asStaff,
  CAMPAIGN,
  CAMPAIGNS,
  type CampaignView,
  couponCredits,
  type CouponPlatform,
  type CouponView,
  CREATE_CAMPAIGN,
  createCampaign,
  dataOf,
  DISABLE_CAMPAIGN,
  errorOf,
  GENERATE_CODES,
  idOf,
  nodesOf,
  type Page,
  PLAYER_COUPONS,
  redeem,
  staffActionsOn,
  startCouponPlatform,
  uniqueCode,
} from './helpers';

let platform: CouponPlatform;
beforeAll(async () => {
  platform = await startCouponPlatform();
}, 60_000);
afterAll(() => platform?.close());

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;

/** Row counts of everything a redemption or a staff change may write: a refusal leaves all of them unchanged. */
async function writeCounts() {
  const prisma = platform.prisma;
  const [campaigns, codes, redemptions, staffActions, entries, rollings] = await Promise.all([
    prisma.couponCampaign.count(),
    prisma.couponCode.count(),
    prisma.couponRedemption.count(),
    prisma.promotionOutbox.count(),
    prisma.ledgerEntry.count(),
    prisma.rolling.count(),
  ]);
  return { campaigns, codes, redemptions, staffActions, entries, rollings };
}

const campaignOf = async (id: string) =>
  dataOf(
    await platform.promotion.graphql<{
      couponCampaign: CampaignView & { codes: { totalCount: number }; redemptions: { totalCount: number; edges: { node: CouponView }[] } };
    }>(CAMPAIGN, { id }, asStaff(demo())),
  ).couponCampaign;

describe('staff: coupon campaigns', () => {
  it('creates a campaign, adds a named code and generates single-use ones, each audited', async () => {
    const staff = asStaff(demo());
    const input = { name: ' Spring ', amount: '2.50', rollingMultiplierBps: 15_000, totalLimit: 100, perPlayerLimit: 2, budget: '100.00', validUntil: '2999-01-01T00:00:00Z' };
    const { createCouponCampaign: campaign } = dataOf(await platform.promotion.graphql<{ createCouponCampaign: CampaignView }>(CREATE_CAMPAIGN, { input }, staff));
    expect(campaign).toMatchObject({
      name: 'Spring',
      amount: '2.50',
      rollingMultiplierBps: 15_000,
      totalLimit: 100,
      perPlayerLimit: 2,
      budget: '100.00',
      validUntil: '2999-01-01T00:00:00.000Z',
      redeemedCount: 0,
      spent: '0.00',
      status: 'ACTIVE',
    });
    const named = uniqueCode('spring');
    const added = dataOf(await platform.promotion.graphql<{ addCouponCode: { code: string; singleUse: boolean } }>(ADD_CODE, { campaignId: campaign.id, code: named.toLowerCase() }, staff));
    expect(added.addCouponCode).toMatchObject({ code: named, singleUse: false });
    const generated = dataOf(await platform.promotion.graphql<{ generateCouponCodes: { code: string; singleUse: boolean }[] }>(GENERATE_CODES, { campaignId: campaign.id, count: 25 }, staff));
    const codes = generated.generateCouponCodes.map(({ code }) => code);
    expect(new Set(codes).size).toBe(25);
    for (const code of codes) expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{12}$/);
    expect(generated.generateCouponCodes.every(({ singleUse }) => singleUse)).toBe(true);
    expect((await campaignOf(campaign.id)).codes.totalCount).toBe(26);

    const actions = await staffActionsOn(platform.prisma, campaign.id);
    const staffId = idOf(staff);
    expect(actions.map(({ action, staff_id: by, target_type: targetType }) => ({ action, by, targetType }))).toEqual([
      { action: 'coupon_campaign.create', by: staffId, targetType: 'coupon_campaign' },
      { action: 'coupon_code.add', by: staffId, targetType: 'coupon_campaign' },
      { action: 'coupon_code.generate', by: staffId, targetType: 'coupon_campaign' },
    ]);
    expect(actions[0]!.after).toMatchObject({ amount: '2.50', budget: '100.00', per_player_limit: 2 });
    expect(actions[2]!.after).toEqual({ count: 25 });
  });

  it('refuses bad input with BAD_USER_INPUT, a taken code (in any case) with CONFLICT, and writes nothing', async () => {
    const campaign = await createCampaign(platform.promotion, demo());
    const before = await writeCounts();
    const base = { name: 'Bad', amount: '1.00', rollingMultiplierBps: 0 };
    const badInputs = [
      { ...base, name: '  ' },
      { ...base, amount: '0' },
      { ...base, amount: '1.001' },
      { ...base, amount: '-1.00' },
      { ...base, rollingMultiplierBps: -1 },
      { ...base, rollingMultiplierBps: 100_001 },
      { ...base, validUntil: '2020-01-01T00:00:00Z' },
      { ...base, validFrom: '2999-01-02T00:00:00Z', validUntil: '2999-01-01T00:00:00Z' },
      { ...base, validFrom: 'tomorrow' },
      { ...base, totalLimit: 0 },
      { ...base, perPlayerLimit: 0 },
      { ...base, budget: '0.99' },
    ];
    for (const input of badInputs) {
      expect(errorOf(await platform.promotion.graphql(CREATE_CAMPAIGN, { input }, asStaff(demo()))).code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    for (const code of ['ab', 'has space', 'x'.repeat(33), '-leading']) {
      expect(errorOf(await platform.promotion.graphql(ADD_CODE, { campaignId: campaign.id, code }, asStaff(demo()))).code, code).toBe('BAD_USER_INPUT');
    }
    for (const count of [0, 1_001]) {
      expect(errorOf(await platform.promotion.graphql(GENERATE_CODES, { campaignId: campaign.id, count }, asStaff(demo()))).code).toBe('BAD_USER_INPUT');
    }
    expect(errorOf(await platform.promotion.graphql(ADD_CODE, { campaignId: campaign.id, code: 'welcome10' }, asStaff(demo()))).code).toBe('CONFLICT');
    expect(errorOf(await platform.promotion.graphql(ADD_CODE, { campaignId: randomUUID(), code: uniqueCode('nope') }, asStaff(demo()))).code).toBe('NOT_FOUND');
    // A campaign of another brand is not found through this one.
    expect(errorOf(await platform.promotion.graphql(ADD_CODE, { campaignId: campaign.id, code: uniqueCode('x') }, asStaff(acme()))).code).toBe('NOT_FOUND');
    expect(await writeCounts()).toEqual(before);
  });

  it('needs promotions.manage to change and promotions.read to read; players may do neither', async () => {
    const campaign = await createCampaign(platform.promotion, demo());
    const reader = staffWith(demo(), randomUUID(), ['promotions.read']);
    const input = { name: 'X', amount: '1.00', rollingMultiplierBps: 0 };
    expect(errorOf(await platform.promotion.graphql(CREATE_CAMPAIGN, { input }, reader))).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(await platform.promotion.graphql(CREATE_CAMPAIGN, { input }, asPlayer(demo())))).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(await platform.promotion.graphql(CREATE_CAMPAIGN, { input }, null))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(errorOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: campaign.id, reason: 'r' }, reader)).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(CAMPAIGNS, {}, asPlayer(demo()))).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(CAMPAIGNS, {}, staffWith(demo(), randomUUID(), ['promotions.manage']))).code).toBe('FORBIDDEN');
    const manager = staffWith(demo(), randomUUID(), ['promotions.manage']);
    const created = await platform.promotion.graphql(`mutation ($input: CreateCouponCampaignInput!) { createCouponCampaign(input: $input) { id redemptions { totalCount } } }`, { input }, manager);
    expect(errorOf(created)).toMatchObject({ code: 'FORBIDDEN' });
    const listed = dataOf(await platform.promotion.graphql<{ couponCampaigns: { edges: { node: { id: string } }[] } }>(CAMPAIGNS, { status: 'ACTIVE' }, reader));
    expect(listed.couponCampaigns.edges.map(({ node }) => node.id)).toContain(campaign.id);
    const onAcme = dataOf(await platform.promotion.graphql<{ couponCampaigns: { edges: { node: { id: string } }[] } }>(CAMPAIGNS, {}, staffWith(acme(), randomUUID(), ['promotions.read'])));
    expect(onAcme.couponCampaigns.edges.map(({ node }) => node.id)).not.toContain(campaign.id);
  });

  it('disables an active campaign once, with the reason in the audit; a second time is CONFLICT', async () => {
    const campaign = await createCampaign(platform.promotion, demo());
    const staff = asStaff(demo());
    const { disableCouponCampaign } = dataOf(await platform.promotion.graphql<{ disableCouponCampaign: CampaignView }>(DISABLE_CAMPAIGN, { id: campaign.id, reason: 'abused' }, staff));
    expect(disableCouponCampaign).toMatchObject({ status: 'DISABLED', endedAt: expect.any(String) });
    expect(errorOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: campaign.id, reason: 'again' }, staff)).code).toBe('CONFLICT');
    expect(errorOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: campaign.id, reason: ' ' }, staff)).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await platform.promotion.graphql(GENERATE_CODES, { campaignId: campaign.id, count: 1 }, staff)).code).toBe('CONFLICT');
    const audit = (await staffActionsOn(platform.prisma, campaign.id)).find(({ action }) => action === 'coupon_campaign.disable');
    expect(audit).toMatchObject({ before: { status: 'ACTIVE' }, after: { status: 'DISABLED', reason: 'abused' } });
  });
});

describe('redeemCoupon', () => {
  it('credits the demo WELCOME10 once (any case): 10.00, a PROMOTION_CREDIT, no requirement; then PLAYER_LIMIT_REACHED', async () => {
    const player = asPlayer(demo());
    const playerId = idOf(player);
    const { redeemCoupon: coupon } = dataOf(await redeem(platform.promotion, player, ' welcome10 '));
    expect(coupon).toMatchObject({ code: 'WELCOME10', amount: '10.00', status: 'PAID', rollingMultiplierBps: 0, paidAt: expect.any(String), player: { id: playerId } });
    const credits = await couponCredits(platform.prisma, playerId);
    expect(credits).toMatchObject([{ kind: 'PROMOTION_CREDIT', amount: 1_000n, commandKey: `promotion.credit:${demo().id}:coupon:${coupon.id}` }]);
    expect(await platform.prisma.rolling.count({ where: { playerId } })).toBe(0);

    const before = await writeCounts();
    const again = errorOf(await redeem(platform.promotion, player, 'WELCOME10'));
    expect(again).toMatchObject({ code: 'COUPON_UNAVAILABLE', extensions: { reason: 'PLAYER_LIMIT_REACHED' } });
    expect(await writeCounts()).toEqual(before);
    await expectBooks(platform.admin, { [playerId]: 1_000n });
  });

  it('asks rolling for the requirement before crediting when the multiplier is above zero (acme)', async () => {
    const code = uniqueCode('acme');
    await createCampaign(platform.promotion, acme(), { amount: '10000', rollingMultiplierBps: 25_000 }, code);
    const player = asPlayer(acme());
    const playerId = idOf(player);
    const { redeemCoupon: coupon } = dataOf(await redeem(platform.promotion, player, code));
    expect(coupon).toMatchObject({ amount: '10000', status: 'PAID', rollingMultiplierBps: 25_000 });
    const rollings = await platform.prisma.rolling.findMany({ where: { playerId } });
    expect(rollings).toMatchObject([{ source: 'PROMOTION', sourceId: coupon.id, amount: 10_000n, multiplierBps: 25_000, required: 25_000n, status: 'ACTIVE' }]);
    const redemption = await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: coupon.id } });
    expect(redemption.rollingId).toBe(rollings[0]!.id);
    // The requirement came first: it is not younger than the credit.
    const [credit] = await couponCredits(platform.prisma, playerId);
    expect(rollings[0]!.createdAt.getTime()).toBeLessThanOrEqual(credit!.createdAt.getTime());
    await expectBooks(platform.admin, { [playerId]: 10_000n });
  });

  it("pages a player's coupons, newest first, at most 100 a page", async () => {
    const code = uniqueCode('pages');
    await createCampaign(platform.promotion, demo(), { amount: '1.00', perPlayerLimit: 3 }, code);
    const player = asPlayer(demo());
    const redeemed: string[] = [];
    for (let i = 0; i < 3; i += 1) redeemed.push(dataOf(await redeem(platform.promotion, player, code)).redeemCoupon.id);
    const page = async (variables: { first?: number; after?: string }) =>
      platform.promotion.graphql<{ _entities: { coupons: Page<CouponView> }[] }>(PLAYER_COUPONS, { r: [{ __typename: 'Player', id: idOf(player) }], ...variables }, player);
    const first = dataOf(await page({ first: 2 }))._entities[0]!.coupons;
    expect(first).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(nodesOf(first).map(({ id }) => id)).toEqual([redeemed[2], redeemed[1]]);
    const next = dataOf(await page({ first: 2, after: first.pageInfo.endCursor! }))._entities[0]!.coupons;
    expect(next).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
    expect(nodesOf(next).map(({ id }) => id)).toEqual([redeemed[0]]);
    expect(errorOf(await page({ first: 101 })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await page({ first: 0 })).code).toBe('BAD_USER_INPUT');
  });

  it('shows a player their coupons, to staff with promotions.read, and to no other player', async () => {
    const player = asPlayer(demo());
    const playerId = idOf(player);
    const { redeemCoupon: coupon } = dataOf(await redeem(platform.promotion, player, 'WELCOME10'));
    const representations = [{ __typename: 'Player', id: playerId }];
    const own = dataOf(await platform.promotion.graphql<{ _entities: { coupons: Page<CouponView> }[] }>(PLAYER_COUPONS, { r: representations }, player));
    expect(nodesOf(own._entities[0]!.coupons)).toEqual([coupon]);
    const staff = dataOf(await platform.promotion.graphql<{ _entities: { coupons: Page<CouponView> }[] }>(PLAYER_COUPONS, { r: representations }, staffWith(demo(), randomUUID(), ['promotions.read'])));
    expect(nodesOf(staff._entities[0]!.coupons).map(({ id }) => id)).toEqual([coupon.id]);
    expect(errorOf(await platform.promotion.graphql(PLAYER_COUPONS, { r: representations }, asPlayer(demo()))).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(PLAYER_COUPONS, { r: representations }, staffWith(demo(), randomUUID(), ['wallets.read']))).code).toBe('FORBIDDEN');
    const byCampaign = await campaignOf((await platform.prisma.couponRedemption.findUniqueOrThrow({ where: { id: coupon.id } })).campaignId);
    expect(byCampaign.redemptions.edges.map(({ node }) => node.id)).toContain(coupon.id);
    await expectBooks(platform.admin, { [playerId]: 1_000n });
  });

  it('refuses with a precise code, and changes nothing: unknown, not started, expired, disabled, used up, budget spent, limit reached', async () => {
    const code = (prefix: string) => uniqueCode(prefix);
    const notStarted = code('soon');
    await createCampaign(platform.promotion, demo(), { validFrom: '2999-01-01T00:00:00Z' }, notStarted);
    const expired = code('past');
    const lapsing = await createCampaign(platform.promotion, demo(), { validUntil: '2999-01-01T00:00:00Z' }, expired);
    // Past its validUntil, before the expiry job has marked it: refused all the same.
    await platform.prisma.couponCampaign.update({ where: { id: lapsing.id }, data: { validUntil: new Date(Date.now() - 1_000) } });
    const disabled = code('off');
    const toDisable = await createCampaign(platform.promotion, demo(), {}, disabled);
    dataOf(await platform.promotion.graphql(DISABLE_CAMPAIGN, { id: toDisable.id, reason: 'stop' }, asStaff(demo())));
    const usedUp = code('once');
    await createCampaign(platform.promotion, demo(), { totalLimit: 1, amount: '1.00' }, usedUp);
    const budget = code('budget');
    await createCampaign(platform.promotion, demo(), { budget: '1.50', amount: '1.00' }, budget);
    const limited = code('twice');
    await createCampaign(platform.promotion, demo(), { perPlayerLimit: 2, amount: '1.00' }, limited);
    const generatedCampaign = await createCampaign(platform.promotion, demo(), { amount: '1.00' });
    const single = dataOf(await platform.promotion.graphql<{ generateCouponCodes: { code: string }[] }>(GENERATE_CODES, { campaignId: generatedCampaign.id, count: 1 }, asStaff(demo())))
      .generateCouponCodes[0]!.code;

    const first = asPlayer(demo());
    const second = asPlayer(demo());
    for (const taken of [usedUp, budget, limited, limited, single]) dataOf(await redeem(platform.promotion, first, taken));

    const before = await writeCounts();
    const refusals: [string, ReturnType<typeof asPlayer>, string, string | undefined][] = [
      ['NOT_FOUND', second, 'NO-SUCH-CODE', undefined],
      ['NOT_FOUND', second, '', undefined],
      ['NOT_FOUND', asPlayer(acme()), 'WELCOME10', undefined],
      ['COUPON_UNAVAILABLE', second, notStarted, 'NOT_STARTED'],
      ['COUPON_UNAVAILABLE', second, expired, 'EXPIRED'],
      ['COUPON_UNAVAILABLE', second, disabled, 'DISABLED'],
      ['COUPON_UNAVAILABLE', second, usedUp, 'USED_UP'],
      ['COUPON_UNAVAILABLE', second, single, 'USED_UP'],
      ['COUPON_UNAVAILABLE', second, budget, 'BUDGET_SPENT'],
      ['COUPON_UNAVAILABLE', first, limited, 'PLAYER_LIMIT_REACHED'],
    ];
    for (const [expected, player, typed, reason] of refusals) {
      const refused = errorOf(await redeem(platform.promotion, player, typed));
      expect({ typed, code: refused.code, reason: refused.extensions.reason }).toEqual({ typed, code: expected, reason });
    }
    expect(errorOf(await redeem(platform.promotion, asStaff(demo()), 'WELCOME10')).code).toBe('FORBIDDEN');
    expect(errorOf(await platform.promotion.graphql(`mutation { redeemCoupon(code: "WELCOME10") { id } }`, {}, null)).code).toBe('UNAUTHENTICATED');
    expect(await writeCounts()).toEqual(before);
    // The second player may still take what the first did not exhaust.
    dataOf(await redeem(platform.promotion, second, limited));
    await expectBooks(platform.admin, { [idOf(first)]: 500n, [idOf(second)]: 100n });
  });
});

describe('concurrent redemptions', () => {
  it('50 players racing for one single-use code: exactly one is credited', async () => {
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '3.00' });
    const code = dataOf(await platform.promotion.graphql<{ generateCouponCodes: { code: string }[] }>(GENERATE_CODES, { campaignId: campaign.id, count: 1 }, asStaff(demo())))
      .generateCouponCodes[0]!.code;
    const players = Array.from({ length: 50 }, () => asPlayer(demo()));
    const answers = await Promise.all(players.map((player) => redeem(platform.promotion, player, code)));
    const winners = answers.filter((answer) => !answer.body.errors);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.errors).map((answer) => errorOf(answer).extensions.reason)).toEqual(Array(49).fill('USED_UP'));
    expect(await platform.prisma.couponRedemption.count({ where: { campaignId: campaign.id } })).toBe(1);
    const winner = winners[0]!.body.data!.redeemCoupon.player.id;
    await expectBooks(platform.admin, Object.fromEntries(players.map((player) => [idOf(player), idOf(player) === winner ? 300n : null])));
  });

  it('50 players racing for a campaign with budget for 10: exactly 10 are credited and the budget is spent to the cent', async () => {
    const code = uniqueCode('budget10');
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '2.00', budget: '20.00' }, code);
    const players = Array.from({ length: 50 }, () => asPlayer(demo()));
    const answers = await Promise.all(players.map((player) => redeem(platform.promotion, player, code)));
    const paid = answers.filter((answer) => !answer.body.errors).map((answer) => answer.body.data!.redeemCoupon);
    expect(paid).toHaveLength(10);
    expect(paid.every(({ status }) => status === 'PAID')).toBe(true);
    expect(answers.filter((answer) => answer.body.errors).map((answer) => errorOf(answer).extensions.reason)).toEqual(Array(40).fill('BUDGET_SPENT'));
    expect(await campaignOf(campaign.id)).toMatchObject({ redeemedCount: 10, spent: '20.00', budget: '20.00' });
    const winners = new Set(paid.map(({ player }) => player.id));
    await expectBooks(platform.admin, Object.fromEntries(players.map((player) => [idOf(player), winners.has(idOf(player)) ? 200n : null])));
  });

  it('one player racing through 50 single-use codes of a campaign allowing 3 per player: exactly 3 are credited', async () => {
    const campaign = await createCampaign(platform.promotion, demo(), { amount: '1.25', perPlayerLimit: 3 });
    const codes = dataOf(await platform.promotion.graphql<{ generateCouponCodes: { code: string }[] }>(GENERATE_CODES, { campaignId: campaign.id, count: 50 }, asStaff(demo())))
      .generateCouponCodes.map(({ code }) => code);
    const player = asPlayer(demo());
    const answers = await Promise.all(codes.map((code) => redeem(platform.promotion, player, code)));
    expect(answers.filter((answer) => !answer.body.errors)).toHaveLength(3);
    expect(answers.filter((answer) => answer.body.errors).map((answer) => errorOf(answer).extensions.reason)).toEqual(Array(47).fill('PLAYER_LIMIT_REACHED'));
    expect(await couponCredits(platform.prisma, idOf(player))).toHaveLength(3);
    await expectBooks(platform.admin, { [idOf(player)]: 375n });
  });

  it('one player sending one shared code 20 times at once is credited once', async () => {
    const code = uniqueCode('burst');
    await createCampaign(platform.promotion, demo(), { amount: '4.00' }, code);
    const player = asPlayer(demo());
    const answers = await Promise.all(Array.from({ length: 20 }, () => redeem(platform.promotion, player, code)));
    // A request that found the redemption still pending finished it and answers it; the others are refused.
    const ids = new Set(answers.filter((answer) => !answer.body.errors).map((answer) => answer.body.data!.redeemCoupon.id));
    expect(ids.size).toBe(1);
    for (const answer of answers.filter((candidate) => candidate.body.errors)) expect(errorOf(answer).extensions.reason).toBe('PLAYER_LIMIT_REACHED');
    expect(await couponCredits(platform.prisma, idOf(player))).toHaveLength(1);
    await expectBooks(platform.admin, { [idOf(player)]: 400n });
  });
});

describe('the lists of a page of campaigns', () => {
  type Page<Node> = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Node }[] };
  type Listed = { id: string; codes: Page<{ code: string }>; redemptions: Page<{ id: string; player: { id: string } }> };
  const LISTS = `query ($first: Int, $after: String) { couponCampaigns(first: 20) { edges { node { id
    codes(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } }
    redemptions(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id player { id } } } } } } } }`;

  it('reads the codes and the redemptions of 20 campaigns in one statement per list, each campaign its own page', async () => {
    const staff = asStaff(demo());
    const made: { id: string; codes: string[]; players: string[] }[] = [];
    for (let index = 0; index < 20; index++) {
      const codes = Array.from({ length: index % 4 }, () => uniqueCode(`list${index}`));
      const campaign = await createCampaign(platform.promotion, demo(), { amount: '1.00', perPlayerLimit: 5 });
      for (const code of codes) dataOf(await platform.promotion.graphql(ADD_CODE, { campaignId: campaign.id, code }, staff));
      const players = codes.slice(0, index % 3).map(() => asPlayer(demo()));
      for (const [position, player] of players.entries()) dataOf(await redeem(platform.promotion, player, codes[position]!));
      made.push({ id: campaign.id, codes, players: players.map(idOf) });
    }

    platform.promotion.operations.length = 0;
    const listed = dataOf(await platform.promotion.graphql<{ couponCampaigns: { edges: { node: Listed }[] } }>(LISTS, { first: 2 }, staff)).couponCampaigns.edges.map(({ node }) => node);
    // The campaigns' page and its total, then one statement for every campaign's codes and one for their redemptions.
    expect([...platform.promotion.operations].sort()).toEqual(['$queryRaw', '$queryRaw', 'CouponCampaign.count', 'CouponCampaign.findMany']);

    const newestFirst = [...made].reverse();
    expect(listed.map(({ id }) => id)).toEqual(newestFirst.map(({ id }) => id));
    for (const [index, campaign] of listed.entries()) {
      const { codes, players } = newestFirst[index]!;
      expect(campaign.codes).toMatchObject({ totalCount: codes.length, pageInfo: { hasNextPage: codes.length > 2 } });
      expect(campaign.codes.edges.map(({ node }) => node.code)).toEqual([...codes].reverse().slice(0, 2));
      expect(campaign.redemptions.totalCount).toBe(players.length);
      expect(campaign.redemptions.edges.map(({ node }) => node.player.id)).toEqual([...players].reverse().slice(0, 2));
    }

    // The page after a campaign's cursor: the rest of that campaign's list, and of no other.
    const withThree = listed.find((campaign) => campaign.codes.totalCount === 3)!;
    const next = dataOf(
      await platform.promotion.graphql<{ couponCampaign: Pick<Listed, 'codes'> }>(
        `query ($id: ID!, $after: String) { couponCampaign(id: $id) { codes(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } } }`,
        { id: withThree.id, after: withThree.codes.pageInfo.endCursor },
        staff,
      ),
    ).couponCampaign.codes;
    const expected = made.find(({ id }) => id === withThree.id)!.codes;
    expect(next).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
    expect(next.edges.map(({ node }) => node.code)).toEqual([expected[0]]);
    expect(errorOf(await platform.promotion.graphql(LISTS, { first: 101 }, staff)).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await platform.promotion.graphql(LISTS, { after: 'not-a-cursor' }, staff)).code).toBe('BAD_USER_INPUT');
    await expectBooks(platform.admin, Object.fromEntries(made.flatMap(({ players }) => players.map((player) => [player, 100n]))));
  }, 60_000);
});
