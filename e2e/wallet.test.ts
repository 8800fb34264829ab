/**
 * The wallet as a client sees it: every call goes through the router (Host picks the brand),
 * and every test that moves money ends with the ledger reconciliation (balance = sum of the
 * ledger) run against the platform's database.
 */
import { TokenService } from '@rgb/auth';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { retryWhile } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type GraphQLResult, send, type TestPlatform } from './support/platform';

const WALLET = `{ me { id wallet { balance currency transactions { totalCount edges { node { kind amount balanceAfter } } } } } }`;
const REQUEST_DEPOSIT = `mutation ($input: DepositInput!) { requestDeposit(input: $input) { id amount status } }`;
const REQUEST_WITHDRAWAL = `mutation ($input: WithdrawalInput!) { requestWithdrawal(input: $input) { id amount status } }`;
const APPROVE_DEPOSIT = `mutation ($id: ID!) { approveDeposit(id: $id) { id amount status } }`;
const APPROVE_WITHDRAWAL = `mutation ($id: ID!) { approveWithdrawal(id: $id) { id amount status } }`;
const DECLINE_WITHDRAWAL = `mutation ($id: ID!, $reason: String) { declineWithdrawal(id: $id, reason: $reason) { id amount status } }`;
const MARK_PAID = `mutation ($id: ID!) { markWithdrawalPaid(id: $id) { id amount status paidAt } }`;

interface LedgerNode {
  kind: string;
  amount: string;
  balanceAfter: string;
}
interface WalletView {
  balance: string;
  currency: string;
  transactions: { totalCount: number; edges: { node: LedgerNode }[] };
}

let platform: TestPlatform;
let prisma: PrismaClient;
const staffTokens = new Map<string, string>();

beforeAll(async () => {
  platform = await bootPlatform();
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-wallet-reconcile' });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});

/** The data of a GraphQL answer, failing the test with the errors when there are any. */

const codeOf = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code;

/** Staff (admin, all brands) signed in on `host`; one login per host. */
async function staff(host = 'localhost'): Promise<string> {
  const known = staffTokens.get(host);
  if (known) return known;
  const login = await platform.graphql(
    `mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`,
    { p: platform.secrets.ADMIN_PASSWORD },
    { host },
  );
  const token = dataOf<{ staffLogin: { accessToken: string } }>(login).staffLogin.accessToken;
  staffTokens.set(host, token);
  return token;
}

async function walletOf(token: string, host = 'localhost'): Promise<WalletView> {
  return dataOf<{ me: { wallet: WalletView } }>(await platform.graphql(WALLET, undefined, { token, host })).me.wallet;
}

/** The ledger, oldest entry first. */
const entries = (wallet: WalletView) => wallet.transactions.edges.map((edge) => edge.node).reverse();

async function expectBooksBalance(): Promise<void> {
  expect(await findLedgerMismatches(prisma)).toEqual([]);
}

/** A deposit requested by the player and approved by staff, through the router. */
async function deposit(token: string, amount: string, host = 'localhost'): Promise<{ id: string; amount: string; status: string }> {
  const requested = dataOf<{ requestDeposit: { id: string } }>(
    await platform.graphql(REQUEST_DEPOSIT, { input: { amount, depositorName: 'Kim Minsu' } }, { token, host }),
  ).requestDeposit;
  return dataOf<{ approveDeposit: { id: string; amount: string; status: string } }>(
    await platform.graphql(APPROVE_DEPOSIT, { id: requested.id }, { token: await staff(host), host }),
  ).approveDeposit;
}

describe('deposits and withdrawals of one player on demo (USD)', () => {
  let player: string;

  beforeAll(async () => {
    player = (await platform.register('wallet_alice')).accessToken;
  });

  it('credits a deposit once staff approve it', async () => {
    const requested = dataOf<{ requestDeposit: { id: string; amount: string; status: string } }>(
      await platform.graphql(REQUEST_DEPOSIT, { input: { amount: '125.50', depositorName: 'Alice' } }, { token: player }),
    ).requestDeposit;
    expect(requested).toMatchObject({ amount: '125.50', status: 'PENDING' });
    expect((await walletOf(player)).balance).toBe('0.00');

    const staffToken = await staff();
    const pending = dataOf<{ depositRequests: { edges: { node: { id: string; amount: string; status: string } }[] } }>(
      await platform.graphql(`{ depositRequests(status: PENDING) { totalCount edges { node { id amount status } } } }`, undefined, {
        token: staffToken,
      }),
    ).depositRequests;
    expect(pending.edges.map((edge) => edge.node)).toContainEqual({ id: requested.id, amount: '125.50', status: 'PENDING' });

    const approved = dataOf<{ approveDeposit: { status: string } }>(await platform.graphql(APPROVE_DEPOSIT, { id: requested.id }, { token: staffToken }));
    expect(approved.approveDeposit.status).toBe('APPROVED');
    const again = await platform.graphql(APPROVE_DEPOSIT, { id: requested.id }, { token: staffToken });
    expect(codeOf(again)).toBe('CONFLICT');

    const wallet = await walletOf(player);
    expect(wallet).toMatchObject({ balance: '125.50', currency: 'USD', transactions: { totalCount: 1 } });
    expect(entries(wallet)).toEqual([{ kind: 'DEPOSIT', amount: '125.50', balanceAfter: '125.50' }]);
    await expectBooksBalance();
  });

  it('holds a withdrawal at once and releases it when staff decline', async () => {
    // Until rolling_worker has processed the approved deposit (demo's carry no requirement), rolling holds withdrawals back.
    const answer = await retryWhile(
      () => platform.graphql(REQUEST_WITHDRAWAL, { input: { amount: '40' } }, { token: player }),
      (result) => JSON.stringify(result.body.errors?.[0]?.extensions ?? {}).includes('"reason":"DEPOSITS_NOT_PROCESSED"'),
    );
    const requested = dataOf<{ requestWithdrawal: { id: string; amount: string; status: string } }>(answer).requestWithdrawal;
    expect(requested).toMatchObject({ amount: '40.00', status: 'PENDING' });
    const held = await walletOf(player);
    expect(held.balance).toBe('85.50');
    expect(entries(held).at(-1)).toEqual({ kind: 'WITHDRAWAL_HOLD', amount: '-40.00', balanceAfter: '85.50' });

    const staffToken = await staff();
    const pending = dataOf<{ withdrawalRequests: { edges: { node: { id: string } }[] } }>(
      await platform.graphql(`{ withdrawalRequests(status: PENDING) { edges { node { id } } } }`, undefined, { token: staffToken }),
    ).withdrawalRequests;
    expect(pending.edges.map((edge) => edge.node.id)).toContain(requested.id);

    const declined = dataOf<{ declineWithdrawal: { status: string } }>(
      await platform.graphql(DECLINE_WITHDRAWAL, { id: requested.id, reason: 'e2e: bank details do not match' }, { token: staffToken }),
    );
    expect(declined.declineWithdrawal.status).toBe('DECLINED');
    const released = await walletOf(player);
    expect(released.balance).toBe('125.50');
    expect(released.transactions.totalCount).toBe(3);
    expect(entries(released).map((entry) => entry.kind)).toEqual(['DEPOSIT', 'WITHDRAWAL_HOLD', 'WITHDRAWAL_RELEASE']);
    expect(entries(released).at(-1)).toEqual({ kind: 'WITHDRAWAL_RELEASE', amount: '40.00', balanceAfter: '125.50' });
    await expectBooksBalance();
  });

  it('keeps an approved withdrawal out of the balance and records it paid', async () => {
    const requested = dataOf<{ requestWithdrawal: { id: string } }>(
      await platform.graphql(REQUEST_WITHDRAWAL, { input: { amount: '25.25' } }, { token: player }),
    ).requestWithdrawal;
    const staffToken = await staff();
    const tooEarly = await platform.graphql(MARK_PAID, { id: requested.id }, { token: staffToken });
    expect(codeOf(tooEarly)).toBe('CONFLICT');

    const approved = dataOf<{ approveWithdrawal: { status: string } }>(await platform.graphql(APPROVE_WITHDRAWAL, { id: requested.id }, { token: staffToken }));
    expect(approved.approveWithdrawal.status).toBe('APPROVED');
    expect((await walletOf(player)).balance).toBe('100.25');

    const paid = dataOf<{ markWithdrawalPaid: { status: string; paidAt: string | null } }>(
      await platform.graphql(MARK_PAID, { id: requested.id }, { token: staffToken }),
    );
    expect(paid.markWithdrawalPaid.status).toBe('PAID');
    expect(paid.markWithdrawalPaid.paidAt).toEqual(expect.any(String));
    const declineAfterPaid = await platform.graphql(DECLINE_WITHDRAWAL, { id: requested.id }, { token: staffToken });
    expect(codeOf(declineAfterPaid)).toBe('CONFLICT');

    const wallet = await walletOf(player);
    expect(wallet.balance).toBe('100.25');
    expect(entries(wallet).map((entry) => entry.kind)).toEqual(['DEPOSIT', 'WITHDRAWAL_HOLD', 'WITHDRAWAL_RELEASE', 'WITHDRAWAL_HOLD']);
    expect(entries(wallet).at(-1)).toEqual({ kind: 'WITHDRAWAL_HOLD', amount: '-25.25', balanceAfter: '100.25' });
    await expectBooksBalance();
  });

  it('refuses a withdrawal larger than the balance and moves nothing', async () => {
    const refused = await platform.graphql(REQUEST_WITHDRAWAL, { input: { amount: '100.26' } }, { token: player });
    expect(codeOf(refused)).toBe('INSUFFICIENT_FUNDS');
    const wallet = await walletOf(player);
    expect(wallet.balance).toBe('100.25');
    expect(wallet.transactions.totalCount).toBe(4);
    await expectBooksBalance();
  });
});

describe('acme (KRW, no minor digits)', () => {
  it('takes a deposit of "10000" (its minimum) and refuses "10.5" with BAD_USER_INPUT', async () => {
    const { accessToken: player } = await platform.register('wallet_acme', 'acme.localhost');
    const approved = await deposit(player, '10000', 'acme.localhost');
    expect(approved).toMatchObject({ amount: '10000', status: 'APPROVED' });
    const wallet = await walletOf(player, 'acme.localhost');
    expect(wallet).toMatchObject({ balance: '10000', currency: 'KRW' });
    expect(entries(wallet)).toEqual([{ kind: 'DEPOSIT', amount: '10000', balanceAfter: '10000' }]);

    const fractional = await platform.graphql(REQUEST_DEPOSIT, { input: { amount: '10.5', depositorName: 'Kim' } }, { token: player, host: 'acme.localhost' });
    expect(codeOf(fractional)).toBe('BAD_USER_INPUT');
    expect(fractional.body.data ?? null).toBeNull();
    expect((await walletOf(player, 'acme.localhost')).balance).toBe('10000');
    await expectBooksBalance();
  });
});

describe('what the wallet refuses', () => {
  it('refuses Money as a float literal or a float variable', async () => {
    const { accessToken: player } = await platform.register('wallet_float');
    const literal = await platform.graphql(`mutation { requestDeposit(input: { amount: 25.5, depositorName: "F" }) { id } }`, undefined, { token: player });
    expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(codeOf(literal));
    expect(literal.body.data ?? null).toBeNull();
    expect(JSON.stringify(literal.body.errors)).toMatch(/Money/);

    const variable = await platform.graphql(REQUEST_DEPOSIT, { input: { amount: 25.5, depositorName: 'F' } }, { token: player });
    expect(codeOf(variable)).toBe('BAD_USER_INPUT');
    expect(variable.body.data ?? null).toBeNull();
    expect(JSON.stringify(variable.body.errors)).toMatch(/Money/);

    const withdrawal = await platform.graphql(REQUEST_WITHDRAWAL, { input: { amount: 1 } }, { token: player });
    expect(codeOf(withdrawal)).toBe('BAD_USER_INPUT');

    const staffToken = await staff();
    const requests = dataOf<{ depositRequests: { edges: { node: { amount: string } }[] } }>(
      await platform.graphql(`{ depositRequests { edges { node { amount player { username } } } } }`, undefined, { token: staffToken }),
    );
    expect(JSON.stringify(requests)).not.toMatch(/wallet_float/);
  });

  it('refuses amounts outside the brand limits with the range as min and max, moving nothing', async () => {
    const { accessToken: player } = await platform.register('wallet_limits');
    const small = await platform.graphql(REQUEST_DEPOSIT, { input: { amount: '9.99', depositorName: 'Lim' } }, { token: player });
    expect(small.body.errors?.[0]).toMatchObject({
      message: 'a deposit must be between 10.00 and 10000.00 USD',
      extensions: { code: 'BAD_USER_INPUT', min: '10.00', max: '10000.00' },
    });
    const { accessToken: acmePlayer } = await platform.register('wallet_limits_krw', 'acme.localhost');
    const large = await platform.graphql(REQUEST_WITHDRAWAL, { input: { amount: '5000001' } }, { token: acmePlayer, host: 'acme.localhost' });
    expect(large.body.errors?.[0]).toMatchObject({
      message: 'a withdrawal must be between 10000 and 5000000 KRW',
      extensions: { code: 'BAD_USER_INPUT', min: '10000', max: '5000000' },
    });
    expect(await prisma.depositRequest.count({ where: { depositorName: 'Lim' } })).toBe(0);
    expect(await prisma.withdrawalRequest.count({ where: { amount: 5_000_001n } })).toBe(0);
    await expectBooksBalance();
  });

  it('does not let a player approve a deposit (FORBIDDEN), nor list requests', async () => {
    const { accessToken: player } = await platform.register('wallet_cheat');
    const requested = dataOf<{ requestDeposit: { id: string } }>(
      await platform.graphql(REQUEST_DEPOSIT, { input: { amount: '1000.00', depositorName: 'Cheat' } }, { token: player }),
    ).requestDeposit;
    const approve = await platform.graphql(APPROVE_DEPOSIT, { id: requested.id }, { token: player });
    expect(codeOf(approve)).toBe('FORBIDDEN');
    const list = await platform.graphql(`{ depositRequests(status: PENDING) { totalCount } }`, undefined, { token: player });
    expect(codeOf(list)).toBe('FORBIDDEN');
    expect((await walletOf(player)).balance).toBe('0.00');
    await expectBooksBalance();
  });

  it('does not route the internal wallet API, not even with a valid service token', async () => {
    const serviceToken = await new TokenService({ secret: platform.secrets.INTERNAL_JWT_SECRET }).signService('game');
    const body = JSON.stringify({
      brand: { id: '00000000-0000-0000-0000-000000000000', code: 'demo', currency: 'USD' },
      player_id: '00000000-0000-0000-0000-000000000000',
      provider_code: 'demo',
      transaction_id: 'tx-through-router',
      round_id: 'r1',
      game_code: 'demo-slot',
      game_category: 'slots',
      amount_minor: '100',
    });
    const bets = await platform.post('/internal/wallet/bets', body, { token: serviceToken });
    expect(bets.status).toBe(404);
    const adjustments = await platform.post('/internal/wallet/adjustments', body, { token: serviceToken });
    expect(adjustments.status).toBe(404);
    // The route exists on the wallet subgraph itself: it answers there (a player without money: refused, nothing moved).
    const direct = await send(`${platform.serviceUrl('wallet')}/internal/wallet/bets`, 'POST', {
      'content-type': 'application/json',
      authorization: `Bearer ${serviceToken}`,
    }, body);
    expect(direct.status).not.toBe(404);
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(direct.status).toBeLessThan(500);
    expect(JSON.parse(direct.text).error.code).toEqual(expect.any(String));
    await expectBooksBalance();
  });
});
