/**
 * Rolling (wagering requirements) through the router on the whole platform: a deposit on acme
 * (100 % rolling, KRW) makes a requirement, bets through the demo provider's callbacks fill it by
 * their game's weight (slots 100 %, live casino 10 %), a rolled-back bet takes its turnover back,
 * and the wallet refuses withdrawals (GraphQL and legacy REST) until it is complete or staff
 * cancel it. Every balance ends equal to its ledger.
 */
import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { sendSignedCallback } from './support/callbacks';
import { bootPlatform, dataOf, type GraphQLResult, type TestPlatform } from './support/platform';

const SECRET = 'e2e-rolling-provider-secret';
const ACME = 'acme.localhost';

const ME = `{ me { id wallet { balance currency } rollings { id required accrued progress status } } }`;
const REQUEST_DEPOSIT = `mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`;
const APPROVE_DEPOSIT = `mutation ($id: ID!) { approveDeposit(id: $id) { status } }`;
const REQUEST_WITHDRAWAL = `mutation ($input: WithdrawalInput!) { requestWithdrawal(input: $input) { id amount status } }`;
const STAFF_ROLLINGS = `query ($playerId: ID!) { rollings(playerId: $playerId) { totalCount edges { node { id required accrued status source player { id } } } } }`;
const CANCEL_ROLLING = `mutation ($id: ID!, $reason: String!) { cancelRolling(id: $id, reason: $reason) { id status cancelReason } }`;

interface RollingView {
  id: string;
  required: string;
  accrued: string;
  progress: number;
  status: string;
}
interface MeView {
  id: string;
  wallet: { balance: string; currency: string };
  rollings: RollingView[];
}

let platform: TestPlatform;
let prisma: PrismaClient;
let staffToken: string;

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-rolling-reconcile' });
  staffToken = dataOf<{ staffLogin: { accessToken: string } }>(
    await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }, { host: ACME }),
  ).staffLogin.accessToken;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});


const me = async (token: string): Promise<MeView> => dataOf<{ me: MeView }>(await platform.graphql(ME, undefined, { token, host: ACME })).me;

/** The player's only requirement once rolling shows it in the state `until` accepts (the worker is asynchronous). */
async function rollingOf(token: string, until: (rolling: RollingView) => boolean): Promise<RollingView> {
  let seen: RollingView[] = [];
  return waitFor(
    'the requirement',
    async () => {
      seen = (await me(token)).rollings;
      return seen.length === 1 && until(seen[0]!) ? seen[0] : undefined;
    },
    20_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(seen)}`);
  });
}

/** A player registered on acme with a deposit of `amount` approved by staff. */
async function depositor(username: string, amount: string): Promise<{ token: string; id: string; account: string }> {
  const { accessToken: token } = await platform.register(username, ACME);
  const request = dataOf<{ requestDeposit: { id: string } }>(
    await platform.graphql(REQUEST_DEPOSIT, { input: { amount, depositorName: 'Park Jiho' } }, { token, host: ACME }),
  ).requestDeposit;
  expect(dataOf<{ approveDeposit: { status: string } }>(await platform.graphql(APPROVE_DEPOSIT, { id: request.id }, { token: staffToken, host: ACME }))).toEqual({
    approveDeposit: { status: 'APPROVED' },
  });
  return { token, id: (await me(token)).id, account: `acme_${username}` };
}

/** A provider callback of the demo provider through the router, in KRW; its answer's balance. */
async function callback(action: 'bet' | 'win' | 'rollback', body: Record<string, unknown>): Promise<string> {
  const raw = JSON.stringify({ request_id: randomUUID(), timestamp: new Date().toISOString(), currency: 'KRW', ...body });
  const response = await sendSignedCallback(platform, action, raw, SECRET);
  const answer = JSON.parse(response.text) as { status: string; balance: string };
  expect({ status: response.status, answer: answer.status }, response.text).toEqual({ status: 200, answer: 'OK' });
  return answer.balance;
}

/** One round: a bet of `stake` on `game` and a win of `win` settling it; the balance after. */
async function playRound(account: string, game: 'demo-slot' | 'demo-live', stake: string, win: string): Promise<{ bet: string; round: string; balance: string }> {
  const bet = `bet-${randomUUID()}`;
  const round = `round-${randomUUID()}`;
  await callback('bet', { account, transaction_id: bet, round_id: round, game_code: game, amount: stake });
  const balance = await callback('win', { account, transaction_id: `win-${randomUUID()}`, round_id: round, game_code: game, amount: win, reference_transaction_id: bet, round_closed: true });
  return { bet, round, balance };
}

async function withdraw(token: string, amount: string): Promise<GraphQLResult> {
  return platform.graphql(REQUEST_WITHDRAWAL, { input: { amount } }, { token, host: ACME });
}

async function booksAgree(token: string, balance: string): Promise<void> {
  expect(await findLedgerMismatches(prisma)).toEqual([]);
  expect((await me(token)).wallet).toEqual({ balance, currency: 'KRW' });
}

describe('a deposit on acme and its wagering requirement', () => {
  it('holds withdrawals until weighted bets turn the deposit over, then lets them through', { timeout: 120_000 }, async () => {
    const player = await depositor('rolling_kim', '50000');
    expect(await rollingOf(player.token, () => true)).toEqual({ id: expect.any(String), required: '50000', accrued: '0', progress: 0, status: 'ACTIVE' });

    // Slots count their whole stake, live casino a tenth of it.
    expect((await playRound(player.account, 'demo-slot', '20000', '0')).balance).toBe('30000');
    await rollingOf(player.token, (rolling) => rolling.accrued === '20000');
    expect((await playRound(player.account, 'demo-live', '10000', '15000')).balance).toBe('35000');
    expect(await rollingOf(player.token, (rolling) => rolling.accrued === '21000')).toMatchObject({ accrued: '21000', progress: 0.42, status: 'ACTIVE' });

    // A settled bet rolled back: its stake comes back, and its turnover leaves the requirement.
    const rolledBack = await playRound(player.account, 'demo-slot', '5000', '0');
    expect(rolledBack.balance).toBe('30000');
    await rollingOf(player.token, (rolling) => rolling.accrued === '26000');
    expect(await callback('rollback', { account: player.account, transaction_id: `rb-${randomUUID()}`, round_id: rolledBack.round, game_code: 'demo-slot', reference_transaction_id: rolledBack.bet })).toBe('35000');
    expect(await rollingOf(player.token, (rolling) => rolling.accrued === '21000')).toMatchObject({ accrued: '21000', status: 'ACTIVE' });

    // 29000 still to wager: refused through GraphQL and the legacy REST shim alike, nothing held.
    const refused = await withdraw(player.token, '10000');
    expect(refused.body.errors?.[0]).toMatchObject({
      message: 'withdrawals wait until the wagering requirement is met: 29000 KRW still to wager',
      extensions: { code: 'ROLLING_INCOMPLETE', reason: 'ACTIVE_REQUIREMENT', activeRequirements: 1, remaining: '29000' },
    });
    const legacy = await platform.post('/api/v1/withdraw', JSON.stringify({ amount: '10000' }), { token: player.token, host: ACME });
    expect({ status: legacy.status, body: JSON.parse(legacy.text) }).toEqual({
      status: 422,
      body: { code: 42202, message: 'withdrawals wait until the wagering requirement is met: 29000 KRW still to wager', data: null },
    });
    expect(await prisma.withdrawalRequest.count({ where: { playerId: player.id } })).toBe(0);
    await booksAgree(player.token, '35000');

    // The rest on slots: the requirement completes (the overflow goes nowhere) and the withdrawal passes.
    expect((await playRound(player.account, 'demo-slot', '30000', '40000')).balance).toBe('45000');
    expect(await rollingOf(player.token, (rolling) => rolling.status === 'COMPLETED')).toMatchObject({ required: '50000', accrued: '50000', progress: 1, status: 'COMPLETED' });
    expect(dataOf<{ requestWithdrawal: unknown }>(await withdraw(player.token, '10000')).requestWithdrawal).toEqual({ id: expect.any(String), amount: '10000', status: 'PENDING' });
    await booksAgree(player.token, '35000');
  });

  it('lets staff see a player\'s requirements and cancel one, after which the player may withdraw', { timeout: 60_000 }, async () => {
    const player = await depositor('rolling_lee', '20000');
    const rolling = await rollingOf(player.token, () => true);
    expect((await withdraw(player.token, '10000')).body.errors?.[0]?.extensions).toMatchObject({ code: 'ROLLING_INCOMPLETE', reason: 'ACTIVE_REQUIREMENT' });

    const listed = dataOf<{ rollings: { totalCount: number; edges: { node: unknown }[] } }>(
      await platform.graphql(STAFF_ROLLINGS, { playerId: player.id }, { token: staffToken, host: ACME }),
    ).rollings;
    expect(listed).toEqual({
      totalCount: 1,
      edges: [{ node: { id: rolling.id, required: '20000', accrued: '0', status: 'ACTIVE', source: 'DEPOSIT', player: { id: player.id } } }],
    });
    expect(
      dataOf<{ cancelRolling: unknown }>(await platform.graphql(CANCEL_ROLLING, { id: rolling.id, reason: 'e2e: goodwill' }, { token: staffToken, host: ACME })).cancelRolling,
    ).toEqual({ id: rolling.id, status: 'CANCELED', cancelReason: 'e2e: goodwill' });
    // A player may not cancel their own.
    expect((await platform.graphql(CANCEL_ROLLING, { id: rolling.id, reason: 'mine' }, { token: player.token, host: ACME })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect(await rollingOf(player.token, (seen) => seen.status === 'CANCELED')).toMatchObject({ status: 'CANCELED' });
    expect(dataOf<{ requestWithdrawal: unknown }>(await withdraw(player.token, '15000')).requestWithdrawal).toMatchObject({ amount: '15000', status: 'PENDING' });
    await booksAgree(player.token, '5000');
  });
});
