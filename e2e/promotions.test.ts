/**
 * Programs through the router on the whole platform: staff create a rebate on acme (1 % of slots
 * stakes, wagered once), a player bets through the demo provider's callbacks, the dry run shows
 * today's rebate, staff may not settle today (it has not ended) and settle it once it has (the
 * day's figures moved back a day in the database: the test cannot wait for midnight), and
 * promotion_worker pays the rebate (rounded down) into `me.wallet` with its rolling requirement in
 * `me.rollings`; shown in `me.promotionPayouts`. Every balance ends equal to its ledger.
 */
import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDay } from '../subgraphs/promotion/src/program-rules';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { sendSignedCallback } from './support/callbacks';
import { bootPlatform, dataOf, type TestPlatform } from './support/platform';

const SECRET = 'e2e-promotions-provider-secret';
const ACME = 'acme.localhost';

const ME = `{ me { id wallet { balance } rollings { required accrued status source } promotionPayouts { edges { node { amount basis status periodStart program { name } } } } } }`;
const REQUEST_DEPOSIT = `mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`;
const APPROVE_DEPOSIT = `mutation ($id: ID!) { approveDeposit(id: $id) { status } }`;
const CREATE_PROGRAM = `mutation ($input: CreatePromotionProgramInput!) { createPromotionProgram(input: $input) { id settleFrom } }`;
const PREVIEW = `query ($programId: ID!, $periodStart: String!) { settlementPreview(programId: $programId, periodStart: $periodStart) { total lines(first: 100) { totalCount edges { node { player { id } basis amount } } } } }`;
const SETTLE = `mutation ($programId: ID!, $periodStart: String!) { settlePromotionPeriod(programId: $programId, periodStart: $periodStart) { id total items(first: 10) { edges { node { player { id } amount status } } } } }`;

interface MeView {
  id: string;
  wallet: { balance: string };
  rollings: { required: string; accrued: string; status: string; source: string }[];
  promotionPayouts: { edges: { node: { amount: string; basis: string; status: string; periodStart: string; program: { name: string } } }[] };
}

let platform: TestPlatform;
let prisma: PrismaClient;
let staffToken: string;

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-promotions-reconcile' });
  staffToken = dataOf<{ staffLogin: { accessToken: string } }>(
    await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }, { host: ACME }),
  ).staffLogin.accessToken;
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});


const me = async (token: string): Promise<MeView> => dataOf<{ me: MeView }>(await platform.graphql(ME, undefined, { token, host: ACME })).me;
const asStaff = { host: ACME } as const;

/** A provider callback of the demo provider through the router, in KRW. */
async function callback(action: 'bet' | 'win', body: Record<string, unknown>): Promise<void> {
  const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'KRW', ...body });
  const response = await sendSignedCallback(platform, action, raw, SECRET);
  expect({ status: response.status, answer: (JSON.parse(response.text) as { status: string }).status }, response.text).toEqual({ status: 200, answer: 'OK' });
}

/** A lost round on a slot: a bet of `stake` settled by a zero win. */
async function lostRound(account: string, stake: string): Promise<void> {
  const bet = `bet-${randomUUID()}`;
  const round = `round-${randomUUID()}`;
  await callback('bet', { account, transaction_id: bet, round_id: round, game_code: 'demo-slot', amount: stake });
  await callback('win', { account, transaction_id: `win-${randomUUID()}`, round_id: round, game_code: 'demo-slot', amount: '0', reference_transaction_id: bet, round_closed: true });
}

describe('a rebate on acme', () => {
  it('pays 1 % of the day’s slot stakes (rounded down) into me.wallet with its rolling requirement, once settled on demand', { timeout: 120_000 }, async () => {
    const program = dataOf<{ createPromotionProgram: { id: string } }>(
      await platform.graphql(
        CREATE_PROGRAM,
        { input: { kind: 'REBATE', name: 'Slots rebate', categoryRates: [{ category: 'SLOTS', bps: 100 }], rollingMultiplierBps: 10_000 } },
        { ...asStaff, token: staffToken },
      ),
    ).createPromotionProgram;
    // Acme's day is Seoul's.
    const today = localDay(new Date(), 'Asia/Seoul');
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

    const { accessToken: token } = await platform.register('rebate_lee', ACME);
    const deposit = dataOf<{ requestDeposit: { id: string } }>(await platform.graphql(REQUEST_DEPOSIT, { input: { amount: '50000', depositorName: 'Lee Minji' } }, { token, host: ACME })).requestDeposit;
    dataOf(await platform.graphql(APPROVE_DEPOSIT, { id: deposit.id }, { ...asStaff, token: staffToken }));
    await lostRound('acme_rebate_lee', '10000');
    await lostRound('acme_rebate_lee', '5550');
    const { id: playerId } = await me(token);

    // promotion_worker counts the bets from the wallet's stream: the dry run shows them once it has.
    await waitFor(
      'the bets counted',
      async () => {
        const preview = dataOf<{ settlementPreview: { total: string } }>(await platform.graphql(PREVIEW, { programId: program.id, periodStart: today }, { ...asStaff, token: staffToken }));
        return preview.settlementPreview.total === '155';
      },
      20_000,
    );
    const early = await platform.graphql(SETTLE, { programId: program.id, periodStart: today }, { ...asStaff, token: staffToken });
    expect(early.body.errors).toMatchObject([{ message: expect.stringContaining('has not ended'), extensions: { code: 'BAD_USER_INPUT' } }]);

    // As if the program and the bets were of yesterday: a period ended, which staff may settle.
    await prisma.$executeRaw`UPDATE promotion.player_day_activity SET day = day - 1 WHERE player_id = ${playerId}::uuid`;
    await prisma.$executeRaw`UPDATE promotion.bet SET day = day - 1 WHERE player_id = ${playerId}::uuid`;
    await prisma.promotionProgram.update({ where: { id: program.id }, data: { settleFrom: new Date(`${yesterday}T00:00:00Z`) } });
    const { settlePromotionPeriod: run } = dataOf<{ settlePromotionPeriod: { total: string; items: { edges: { node: { player: { id: string }; amount: string; status: string } }[] } } }>(
      await platform.graphql(SETTLE, { programId: program.id, periodStart: yesterday }, { ...asStaff, token: staffToken }),
    );
    expect(run.total).toBe('155');
    expect(run.items.edges).toEqual([{ node: { player: { id: playerId }, amount: '155', status: 'PENDING' } }]);

    // 50,000 deposited, 15,550 lost, 155 rebate (15,550 x 1 % = 155.5, rounded down).
    const paid = await waitFor('the rebate paid', async () => {
      const view = await me(token);
      return view.wallet.balance === '34605' && view;
    }, 20_000);
    expect(paid.promotionPayouts.edges.map(({ node }) => node)).toEqual([{ amount: '155', basis: '15550', status: 'PAID', periodStart: yesterday, program: { name: 'Slots rebate' } }]);
    const promotionRolling = await waitFor('its requirement', async () => (await me(token)).rollings.find((rolling) => rolling.source === 'PROMOTION'), 20_000);
    expect(promotionRolling).toEqual({ required: '155', accrued: '0', status: 'ACTIVE', source: 'PROMOTION' });
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});
