/**
 * Agents as their clients see them, through the router, with the demo agent AG1 of docs/API.md
 * ("Demo data"): it signs in on `demo`, a player registers with its code, staff credit its balance,
 * it grants and recycles coupons, withdraws through the legacy alias, staff pay it out; another
 * agent sees none of it; each agent event reaches rgb:stream:agent once; the ledger equals every
 * balance.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT } from '../prisma/seed';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type GraphQLResult, send, type TestPlatform } from './support/platform';

let platform: TestPlatform;
let prisma: PrismaClient;
let redis: Redis;
beforeAll(async () => {
  platform = await bootPlatform({}, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-agents' });
  redis = new Redis(platform.redisUrl);
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await prisma?.$disconnect();
  await platform?.stop();
});

const codeOf = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code;

async function staffToken(): Promise<string> {
  const login = await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD });
  return dataOf(login).staffLogin.accessToken;
}

const AGENT_LOGIN = `mutation ($u: String!, $p: String!) { agentLogin(input: { username: $u, password: $p }) { accessToken } }`;
const agentToken = async (code: string, password: string) => dataOf(await platform.graphql(AGENT_LOGIN, { u: code, p: password })).agentLogin.accessToken as string;

/** A legacy REST call through the router, parsed: HTTP status and envelope. */
async function legacy(method: 'GET' | 'POST', path: string, token: string, body?: unknown) {
  const headers = { host: 'localhost', authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const response = await send(`${platform.routerUrl}${path}`, method, headers, body === undefined ? undefined : JSON.stringify(body));
  return { status: response.status, body: JSON.parse(response.text) as { code: number; message: string; data: any } };
}

/** Polls `read` until `done` holds (events reach their consumers within moments), failing after 15 s. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await sleep(100);
  }
}

const MY_AGENT = `{ myAgent { id code wallet { balance currency } } }`;
const MY_PLAYERS = `{ myPlayers { totalCount edges { node { id username wallet { balance } gameHistory { totalCount } } } } }`;
const balanceOf = async (token: string) => dataOf(await platform.graphql(MY_AGENT, {}, { token })).myAgent.wallet.balance as string;

describe('the demo agent through the router', () => {
  it('serves AG1 its players, money and legacy aliases; another agent sees none of it; each event once; ledger = balances', async () => {
    const staff = await staffToken();
    const ag1 = await agentToken('ag1', platform.secrets.AGENT_PASSWORD);
    // AG1 serves demo only: the acme host refuses it after its password checked.
    expect(codeOf(await platform.graphql(AGENT_LOGIN, { u: 'AG1', p: platform.secrets.AGENT_PASSWORD }, { host: 'acme.localhost' }))).toBe('FORBIDDEN');

    // A player registers with AG1's code; another without one; an unknown code registers nobody.
    const register = `mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }`;
    const referred = dataOf(await platform.graphql(register, { input: { username: 'agent_alice', password: 'password-123', nickname: 'alice', agentCode: 'AG1' } })).registerPlayer.accessToken;
    await platform.register('agent_bob');
    expect(codeOf(await platform.graphql(register, { input: { username: 'agent_carol', password: 'password-123', nickname: 'c', agentCode: 'NOPE' } }))).toBe('BAD_USER_INPUT');
    const alice = dataOf(await platform.graphql(`{ me { id } }`, {}, { token: referred })).me.id as string;

    // Staff approve a deposit of 50.00 for her; AG1 sees her with her balance and game history.
    const deposit = dataOf(await platform.graphql(`mutation { requestDeposit(input: { amount: "50.00", depositorName: "Alice" }) { id } }`, {}, { token: referred })).requestDeposit.id;
    dataOf(await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id: deposit }, { token: staff }));
    const players = await eventually(
      async () => dataOf(await platform.graphql(MY_PLAYERS, {}, { token: ag1 })).myPlayers,
      (page) => page.totalCount === 1,
    );
    expect(players.edges).toEqual([{ node: { id: alice, username: 'agent_alice', wallet: { balance: '50.00' }, gameHistory: { totalCount: 0 } } }]);

    // Staff credit AG1 100.00; it grants alice 10.00, which she redeems, and grants 5.00 it then recycles.
    const adjust = `mutation ($input: AdjustAgentBalanceInput!) { adjustAgentBalance(input: $input) { status } }`;
    dataOf(await platform.graphql(adjust, { input: { agentId: DEMO_AGENT.id, amount: '100.00', reason: 'float for coupons' } }, { token: staff }));
    expect(await balanceOf(ag1)).toBe('100.00');
    const grant = `mutation ($input: GrantAgentCouponInput!) { grantAgentCoupon(input: $input) { id status code amount } }`;
    const granted = dataOf(await platform.graphql(grant, { input: { playerId: alice, amount: '10.00' } }, { token: ag1 })).grantAgentCoupon;
    expect(granted).toMatchObject({ status: 'GRANTED', amount: '10.00', code: expect.any(String) });
    expect(dataOf(await platform.graphql(`mutation ($code: String!) { redeemCoupon(code: $code) { status } }`, { code: granted.code }, { token: referred })).redeemCoupon).toEqual({ status: 'PAID' });
    const unused = dataOf(await platform.graphql(grant, { input: { playerId: alice, amount: '5.00' } }, { token: ag1 })).grantAgentCoupon;
    expect(await balanceOf(ag1)).toBe('85.00');
    const recycled = dataOf(await platform.graphql(`mutation ($id: ID!) { recycleAgentCoupon(id: $id) { status } }`, { id: unused.id }, { token: ag1 }));
    expect(recycled.recycleAgentCoupon).toEqual({ status: 'RECYCLED' });
    expect(codeOf(await platform.graphql(`mutation ($id: ID!) { recycleAgentCoupon(id: $id) { status } }`, { id: granted.id }, { token: ag1 }))).toBe('CONFLICT');
    expect(await balanceOf(ag1)).toBe('90.00');

    // The legacy aliases: withdraw 20.00 (held at once), then read it back.
    const withdraw = await legacy('POST', '/api/v1/agent/withdraw', ag1, { amount: '20.00' });
    expect(withdraw).toMatchObject({ status: 200, body: { code: 0, data: { withdrawal_id: expect.any(String), status: 'PENDING' } } });
    const me = await legacy('GET', '/api/v1/agent/me', ag1);
    expect(me.body).toEqual({ code: 0, message: 'ok', data: { id: DEMO_AGENT.id, code: 'AG1', name: DEMO_AGENT.name, status: 'ACTIVE', commission_rate_bps: expect.any(Number), balance: '70.00', currency: 'USD' } });
    expect((await legacy('GET', '/api/v1/agent/players', ag1)).body.data).toEqual({
      items: [{ id: alice, username: 'agent_alice', nickname: 'alice', balance: '60.00', currency: 'USD', created_at: expect.any(String) }],
      total: 1,
    });
    const withdrawals = (await legacy('GET', '/api/v1/agent/withdrawals', ag1)).body.data;
    expect(withdrawals).toMatchObject({ total: 1, items: [{ withdrawal_id: withdraw.body.data.withdrawal_id, amount: '20.00', status: 'PENDING' }] });
    const history = (await legacy('GET', '/api/v1/agent/wallet/history?page=1&size=2', ag1)).body.data;
    expect(history.total).toBe(5);
    expect(history.items.map((item: { kind: string; amount: string }) => [item.kind, item.amount])).toEqual([
      ['WITHDRAWAL_HOLD', '-20.00'],
      ['COUPON_RECYCLE', '5.00'],
    ]);
    expect((await legacy('GET', '/api/v1/agent/sub-agents', ag1)).body.data).toEqual({ items: [], total: 0 });
    // A player's token is no agent's: the legacy alias answers 401.
    expect((await legacy('GET', '/api/v1/agent/me', referred)).status).toBe(401);

    // Staff approve and pay it.
    const id = withdraw.body.data.withdrawal_id;
    expect(dataOf(await platform.graphql(`mutation ($id: ID!) { approveAgentWithdrawal(id: $id) { status } }`, { id }, { token: staff })).approveAgentWithdrawal.status).toBe('APPROVED');
    expect(dataOf(await platform.graphql(`mutation ($id: ID!) { markAgentWithdrawalPaid(id: $id) { status } }`, { id }, { token: staff })).markAgentWithdrawalPaid.status).toBe('PAID');

    // Another agent, allowed on demo too, sees nothing of AG1's.
    const created = dataOf(
      await platform.graphql(`mutation { createAgent(input: { code: "AG2", name: "Second", password: "second-agent-password", commissionRateBps: 0 }) { id } }`, {}, { token: staff }),
    ).createAgent.id;
    const demoBrand = await prisma.brand.findUniqueOrThrow({ where: { code: 'demo' } });
    dataOf(await platform.graphql(`mutation ($a: ID!, $b: ID!) { allowAgentBrand(agentId: $a, brandId: $b) { id } }`, { a: created, b: demoBrand.id }, { token: staff }));
    const ag2 = await agentToken('AG2', 'second-agent-password');
    expect(dataOf(await platform.graphql(`query ($id: ID!) { agent(id: $id) { id } }`, { id: DEMO_AGENT.id }, { token: ag2 })).agent).toBeNull();
    expect(dataOf(await platform.graphql(MY_PLAYERS, {}, { token: ag2 })).myPlayers.totalCount).toBe(0);
    expect(codeOf(await platform.graphql(`mutation ($id: ID!) { recycleAgentCoupon(id: $id) { status } }`, { id: unused.id }, { token: ag2 }))).toBe('NOT_FOUND');
    expect(codeOf(await platform.graphql(grant, { input: { playerId: alice, amount: '1.00' } }, { token: ag2 }))).toBe('NOT_FOUND');
    expect((await legacy('GET', '/api/v1/agent/withdrawals', ag2)).body.data).toEqual({ items: [], total: 0 });

    // Each event of AG1's money once on rgb:stream:agent, as agent_worker published it.
    const expected = {
      AGENT_BALANCE_ADJUSTED: 1,
      AGENT_COUPON_GRANTED: 2,
      AGENT_COUPON_RECYCLED: 1,
      AGENT_WITHDRAW_CREATED: 1,
      AGENT_WITHDRAW_APPROVED: 1,
      AGENT_WITHDRAW_PAID: 1,
    };
    const counted = await eventually(
      async () => {
        const entries = (await redis.xrange('rgb:stream:agent', '-', '+')) as [string, string[]][];
        const counts: Record<string, number> = {};
        for (const [, fields] of entries) {
          const event = JSON.parse(fields[1]!) as { event_type: string };
          if (event.event_type !== 'STAFF_ACTION_RECORDED') counts[event.event_type] = (counts[event.event_type] ?? 0) + 1;
        }
        return counts;
      },
      (counts) => Object.entries(expected).every(([type, count]) => counts[type] === count),
    );
    expect(counted).toEqual(expected);

    // The money is where the ledger says: 100 in, 10 to alice, 20 paid out; alice 50 + 10.
    expect(await balanceOf(ag1)).toBe('70.00');
    expect(dataOf(await platform.graphql(`{ me { wallet { balance } } }`, {}, { token: referred })).me.wallet.balance).toBe('60.00');
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});
