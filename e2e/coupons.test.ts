/**
 * Coupons as a client sees them, through the router: the demo coupon WELCOME10 (docs/API.md
 * "Demo data") credits 10.00 once per player into `me.wallet`, and shows in `me.coupons`.
 */
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type TestPlatform } from './support/platform';

const REDEEM = `mutation ($code: String!) { redeemCoupon(code: $code) { code amount status } }`;
const ME = `{ me { wallet { balance transactions { edges { node { kind amount } } } } coupons { edges { node { code amount status paidAt } } } } }`;

let platform: TestPlatform;
let prisma: PrismaClient;
beforeAll(async () => {
  platform = await bootPlatform({}, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-coupons-reconcile' });
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});


describe('redeemCoupon through the router', () => {
  it('credits WELCOME10 (10.00, no requirement) once per player into me.wallet, listed in me.coupons', async () => {
    const { accessToken: token } = await platform.register('coupon_alice');
    const { redeemCoupon } = dataOf(await platform.graphql(REDEEM, { code: 'welcome10' }, { token }));
    expect(redeemCoupon).toEqual({ code: 'WELCOME10', amount: '10.00', status: 'PAID' });

    const again = await platform.graphql(REDEEM, { code: 'WELCOME10' }, { token });
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'COUPON_UNAVAILABLE', reason: 'PLAYER_LIMIT_REACHED' });
    expect((await platform.graphql(REDEEM, { code: 'NOPE' }, { token })).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const { me } = dataOf(await platform.graphql(ME, {}, { token }));
    expect(me.wallet.balance).toBe('10.00');
    expect(me.wallet.transactions.edges).toEqual([{ node: { kind: 'PROMOTION_CREDIT', amount: '10.00' } }]);
    expect(me.coupons.edges).toEqual([{ node: { code: 'WELCOME10', amount: '10.00', status: 'PAID', paidAt: expect.any(String) } }]);
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});
