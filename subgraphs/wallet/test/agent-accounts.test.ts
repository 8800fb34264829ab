/**
 * Agents' accounts (`/internal/wallet/agent-accounts/movements`): one per agent and brand, in the
 * brand's currency, moved by the agent domain under its keys, and read through `Agent.wallet`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '@rgb/contracts';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, freePort, signedIn, staffWith, type SeededTestSubgraph } from '@rgb/kit/testing';
import { brandBody, entriesOf, expectBooks, fund, serviceClient, type ServiceClient, startWallet, storedAgentBalance, storedBalance, writeCounts } from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  // No agent domain listens at AGENT_URL: Agent wallets are the wallet's own to decide.
  server = await startWallet({ AGENT_URL: `http://127.0.0.1:${await freePort()}` });
  call = await serviceClient(server, 'agent');
});
afterAll(() => server?.close());

const demo = () => server.brands.demo;
const acme = () => server.brands.acme;

interface MovementFields {
  agent: string;
  kind: string;
  amount: string;
  key?: string;
  brand?: BrandRef;
  reason?: string | null;
}
const movement = ({ agent, kind, amount, key = `k-${randomUUID()}`, brand = demo(), reason = 'test' }: MovementFields) => ({
  brand: brandBody(brand),
  agent_id: agent,
  kind,
  amount_minor: amount,
  key,
  reference: `ref:${key}`,
  caused_by: `agent:${agent}`,
  reason,
});
const move = (fields: MovementFields) => call('agent-accounts/movements', movement(fields));

/** Opens the agent's account on the brand with `minor` (an adjustment). */
async function funded(minor: bigint, brand: BrandRef = demo()): Promise<string> {
  const agent = randomUUID();
  const response = await move({ agent, kind: 'ADJUSTMENT', amount: minor.toString(), brand, reason: 'opening balance' });
  expect(response.status).toBe(200);
  return agent;
}

/** The books agree everywhere, and each agent holds exactly its expected balance on demo. */
async function expectAgentBooks(expected: Record<string, bigint | null>, brand: BrandRef = demo()): Promise<void> {
  await expectBooks(server, {});
  const actual: Record<string, bigint | null> = {};
  for (const agent of Object.keys(expected)) actual[agent] = await storedAgentBalance(server, agent, brand);
  expect(actual).toEqual(expected);
}

describe('agent-accounts/movements', () => {
  it('gives each kind its sign: holds and grants debit, releases and recycles credit, an adjustment its own', async () => {
    const agent = await funded(10_000n);
    const steps: [string, string, bigint, bigint][] = [
      ['WITHDRAWAL_HOLD', '3000', -3_000n, 7_000n],
      ['WITHDRAWAL_RELEASE', '1000', 1_000n, 8_000n],
      ['COUPON_GRANT', '500', -500n, 7_500n],
      ['COUPON_RECYCLE', '200', 200n, 7_700n],
      ['ADJUSTMENT', '-700', -700n, 7_000n],
      ['ADJUSTMENT', '50', 50n, 7_050n],
    ];
    for (const [kind, amount, signed, after] of steps) {
      const key = `sign-${randomUUID()}`;
      const response = await move({ agent, kind, amount, key });
      expect(response).toEqual({ status: 200, body: { balance: formatMoney(after, 'USD'), balance_minor: after.toString(), currency: 'USD', duplicate: false } });
      expect(await entriesOf(server, `agent:${demo().id}:${key}`)).toMatchObject([
        { kind, amount: signed, balanceAfter: after, agentId: agent, playerId: null, reference: `ref:${key}`, causedBy: `agent:${agent}`, reason: 'test' },
      ]);
    }
    await expectAgentBooks({ [agent]: 7_050n });
  });

  it('refuses a hold, a grant or a negative adjustment past the balance with INSUFFICIENT_FUNDS and the balance, changing nothing', async () => {
    const agent = await funded(1_000n);
    const before = await writeCounts(server);
    for (const [kind, amount] of [['WITHDRAWAL_HOLD', '1001'], ['COUPON_GRANT', '5000'], ['ADJUSTMENT', '-1001']] as const) {
      const response = await move({ agent, kind, amount });
      expect(response.status).toBe(422);
      expect(response.body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '10.00' });
    }
    const stranger = randomUUID();
    expect((await move({ agent: stranger, kind: 'WITHDRAWAL_HOLD', amount: '1' })).body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '0.00' });
    expect(await writeCounts(server)).toEqual(before);
    await expectAgentBooks({ [agent]: 1_000n, [stranger]: null });
  });

  it('keeps a refused debit refused: its later attempt is refused again after the balance grew', async () => {
    const agent = await funded(1_000n);
    const key = `hold-${randomUUID()}`;
    expect((await move({ agent, kind: 'WITHDRAWAL_HOLD', amount: '3000', key })).body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '10.00' });
    await move({ agent, kind: 'ADJUSTMENT', amount: '5000', reason: 'top-up' });
    // A stalled first attempt of the refused key arrives late: the caller let the withdrawal go, so it must not apply.
    expect((await move({ agent, kind: 'WITHDRAWAL_HOLD', amount: '3000', key })).body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '60.00' });
    // The same key as another kind of movement is no movement of it.
    expect((await move({ agent, kind: 'COUPON_GRANT', amount: '3000', key })).body.error).toMatchObject({ code: 'CONFLICT' });
    await expectAgentBooks({ [agent]: 6_000n });
  });

  it('decides once for all attempts of one key racing a top-up: every answer agrees with the books', async () => {
    for (let round = 0; round < 5; round += 1) {
      const agent = await funded(1_000n);
      const key = `race-${randomUUID()}`;
      const [answers] = await Promise.all([
        Promise.all(Array.from({ length: 8 }, () => move({ agent, kind: 'WITHDRAWAL_HOLD', amount: '1500', key }))),
        move({ agent, kind: 'ADJUSTMENT', amount: '1000', reason: 'top-up' }),
      ]);
      const held = await server.deps.prisma.ledgerEntry.count({ where: { agentId: agent, kind: 'WITHDRAWAL_HOLD' } });
      // Either the hold applied (every attempt answers it) or it was refused (every attempt refuses it).
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(held === 1 ? 200 : 422));
      await expectAgentBooks({ [agent]: held === 1 ? 500n : 2_000n });
    }
  });

  it('answers an exact repeat with the first result and duplicate:true, moving nothing', async () => {
    const agent = await funded(1_000n);
    const key = `rep-${agent}`;
    expect((await move({ agent, kind: 'COUPON_GRANT', amount: '400', key })).body).toMatchObject({ balance_minor: '600', duplicate: false });
    await move({ agent, kind: 'ADJUSTMENT', amount: '100' });
    const before = await writeCounts(server);
    expect((await move({ agent, kind: 'COUPON_GRANT', amount: '400', key })).body).toEqual({ balance: '6.00', balance_minor: '600', currency: 'USD', duplicate: true });
    expect(await writeCounts(server)).toEqual(before);
    await expectAgentBooks({ [agent]: 700n });
  });

  it('refuses the same key with another agent, kind or amount with CONFLICT, moving nothing', async () => {
    const agent = await funded(1_000n);
    const other = await funded(1_000n);
    const key = `conf-${agent}`;
    await move({ agent, kind: 'WITHDRAWAL_HOLD', amount: '100', key });
    const before = await writeCounts(server);
    for (const fields of [
      { agent: other, kind: 'WITHDRAWAL_HOLD', amount: '100', key },
      { agent, kind: 'COUPON_GRANT', amount: '100', key },
      { agent, kind: 'WITHDRAWAL_HOLD', amount: '101', key },
    ]) {
      const response = await move(fields);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('CONFLICT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectAgentBooks({ [agent]: 900n, [other]: 1_000n });
  });

  it('refuses a zero or negative amount for a signed kind, a malformed key and an adjustment without a reason, writing nothing', async () => {
    const agent = await funded(1_000n);
    const before = await writeCounts(server);
    for (const fields of [
      { agent, kind: 'WITHDRAWAL_HOLD', amount: '0' },
      { agent, kind: 'COUPON_RECYCLE', amount: '-5' },
      { agent, kind: 'ADJUSTMENT', amount: '0' },
      { agent, kind: 'ADJUSTMENT', amount: '5', reason: null },
      { agent, kind: 'WITHDRAWAL_HOLD', amount: '5', key: 'has spaces' },
      { agent, kind: 'DEPOSIT', amount: '5' },
    ]) {
      const response = await move(fields);
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(response.body.error.code).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectAgentBooks({ [agent]: 1_000n });
  });

  it('applies exactly as many of 50 concurrent holds as the balance covers, never going below zero', async () => {
    const agent = await funded(1_000n);
    const answers = await Promise.all(Array.from({ length: 50 }, () => move({ agent, kind: 'WITHDRAWAL_HOLD', amount: '100' })));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
    expect(answers.filter((answer) => answer.status === 422).map((answer) => answer.body.error.code)).toEqual(Array(40).fill('INSUFFICIENT_FUNDS'));
    const entries = await server.deps.prisma.ledgerEntry.findMany({ where: { agentId: agent } });
    expect(entries.every((entry) => entry.balanceAfter >= 0n)).toBe(true);
    await expectAgentBooks({ [agent]: 0n });
  });

  it('moves one key fired many times at once exactly once', async () => {
    const agent = await funded(1_000n);
    const key = `race-${agent}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => move({ agent, kind: 'COUPON_GRANT', amount: '300', key })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.balance_minor))).toEqual(new Set(['700']));
    await expectAgentBooks({ [agent]: 700n });
  });

  it('keeps one account per brand the agent serves, each in its brand currency', async () => {
    const agent = randomUUID();
    expect((await move({ agent, kind: 'WITHDRAWAL_RELEASE', amount: '250' })).body).toMatchObject({ balance: '2.50', currency: 'USD' });
    expect((await move({ agent, kind: 'WITHDRAWAL_RELEASE', amount: '9000', brand: acme() })).body).toMatchObject({ balance: '9000', currency: 'KRW' });
    const accounts = await server.deps.prisma.walletAccount.findMany({ where: { agentId: agent }, orderBy: { currency: 'asc' } });
    expect(accounts.map(({ brandId, currency, balance, playerId }) => ({ brandId, currency, balance, playerId }))).toEqual([
      { brandId: acme().id, currency: 'KRW', balance: 9_000n, playerId: null },
      { brandId: demo().id, currency: 'USD', balance: 250n, playerId: null },
    ]);
    await expectAgentBooks({ [agent]: 250n });
    await expectAgentBooks({ [agent]: 9_000n }, acme());
  });

  it("keeps a player's wallet and an agent's apart, even under one uuid", async () => {
    const id = randomUUID();
    const players = await serviceClient(server, 'promotion');
    await fund(players, demo(), id, 500n);
    expect((await move({ agent: id, kind: 'ADJUSTMENT', amount: '70' })).body).toMatchObject({ balance_minor: '70' });
    expect((await move({ agent: id, kind: 'WITHDRAWAL_HOLD', amount: '71' })).body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', balance: '0.70' });
    expect((await players(`balance?brand_id=${demo().id}&brand_code=demo&currency=USD&player_id=${id}`)).body).toMatchObject({ balance_minor: '500' });
    // A staff adjustment of the player by that id finds the player's account, never the agent's.
    const staff = await server.graphql<{ adjustBalance: { balanceAfter: string } }>(
      `mutation ($input: AdjustBalanceInput!) { adjustBalance(input: $input) { balanceAfter } }`,
      { input: { playerId: id, amount: '-1.00', reason: 'correction', idempotencyKey: `adj-${id}` } },
      signedIn(demo(), 'staff', randomUUID()),
    );
    expect(staff.body.data?.adjustBalance.balanceAfter).toBe('4.00');
    expect(await storedBalance(server, id)).toBe(400n);
    // Staff find no player's wallet under an id only an agent's account carries.
    const agentOnly = await funded(900n);
    const before = await writeCounts(server);
    const refused = await server.graphql(
      `mutation ($input: AdjustBalanceInput!) { adjustBalance(input: $input) { balanceAfter } }`,
      { input: { playerId: agentOnly, amount: '-1.00', reason: 'correction', idempotencyKey: `adj-${agentOnly}` } },
      signedIn(demo(), 'staff', randomUUID()),
    );
    expect(firstError(refused)?.code).toBe('NOT_FOUND');
    expect(await writeCounts(server)).toEqual(before);
    await expectAgentBooks({ [id]: 70n, [agentOnly]: 900n });
  });
});

describe('Agent.wallet', () => {
  const WALLETS = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
    ... on Agent { id wallet { balance currency transactions(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { kind amount balanceAfter } } } } } } }`;
  const QUERY = WALLETS.replace('($representations: [_Any!]!)', '($representations: [_Any!]!, $after: String)');
  type AgentWallet = { balance: string; currency: string; transactions: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { kind: string; amount: string; balanceAfter: string } }[] } };
  const walletsOf = (context: ForwardedContext, agents: string[], after: string | null = null) =>
    server.graphql<{ _entities: { id: string; wallet: AgentWallet | null }[] }>(QUERY, { representations: agents.map((id) => ({ __typename: 'Agent', id })), after }, context);
  const asAgent = (id: string, brand: BrandRef = demo()) => signedIn(brand, 'agent', id);

  it('shows the agent its own wallet on the brand, its transactions paged newest first', async () => {
    const agent = await funded(1_000n);
    await move({ agent, kind: 'COUPON_GRANT', amount: '100' });
    await move({ agent, kind: 'COUPON_RECYCLE', amount: '40' });
    const first = (await walletsOf(asAgent(agent), [agent])).body.data!._entities[0]!;
    expect(first.wallet).toMatchObject({ balance: '9.40', currency: 'USD', transactions: { totalCount: 3, pageInfo: { hasNextPage: true } } });
    expect(first.wallet!.transactions.edges.map((edge) => edge.node)).toEqual([
      { kind: 'COUPON_RECYCLE', amount: '0.40', balanceAfter: '9.40' },
      { kind: 'COUPON_GRANT', amount: '-1.00', balanceAfter: '9.00' },
    ]);
    const second = (await walletsOf(asAgent(agent), [agent], first.wallet!.transactions.pageInfo.endCursor)).body.data!._entities[0]!;
    expect(second.wallet!.transactions).toMatchObject({ pageInfo: { hasNextPage: false }, edges: [{ node: { kind: 'ADJUSTMENT', amount: '10.00' } }] });
  });

  it('is a zero balance in the brand currency with no entries before the first movement there', async () => {
    const agent = await funded(1_000n);
    const onAcme = (await walletsOf(asAgent(agent, acme()), [agent])).body.data!._entities[0]!;
    expect(onAcme.wallet).toEqual({ balance: '0', currency: 'KRW', transactions: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } });
  });

  it("lets staff with agents.read read any agent's wallet, and refuses staff without it", async () => {
    const [agent, other] = [await funded(300n), randomUUID()];
    // An id that is not a uuid names no account, like an unknown one (never an internal error).
    const staff = await walletsOf(staffWith(demo(), randomUUID(), ['agents.read']), [agent, other, 'not-a-uuid']);
    expect(staff.body.errors).toBeUndefined();
    expect(staff.body.data!._entities.map((entity) => [entity.id, entity.wallet?.balance])).toEqual([
      [agent, '3.00'],
      [other, '0.00'],
      ['not-a-uuid', '0.00'],
    ]);
    const error = firstError(await walletsOf(staffWith(demo(), randomUUID(), ['wallets.read', 'players.read']), [agent]));
    expect(error).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the agents.read permission' });
  });

  it('refuses another agent, an anonymous caller and a player, even one holding the same uuid as a player wallet', async () => {
    const agent = await funded(300n);
    expect(firstError(await walletsOf(asAgent(randomUUID()), [agent]))?.code).toBe('FORBIDDEN');
    expect(firstError(await walletsOf(anonymous(demo()), [agent]))?.code).toBe('UNAUTHENTICATED');
    expect(firstError(await walletsOf(signedIn(demo(), 'player', agent), [agent]))?.code).toBe('FORBIDDEN');
    const PLAYER = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Player { id wallet { balance } } } }`;
    // An agent reading a Player's wallet is asked of the agent domain, which is not there (AGENT_URL
    // above): unanswered, it shows nothing (apps/router/test/agent-callers.test.ts has it answered).
    const asPlayerEntity = await server.graphql<{ _entities: { wallet: unknown }[] }>(PLAYER, { representations: [{ __typename: 'Player', id: agent }] }, asAgent(agent));
    expect(firstError(asPlayerEntity)?.code).toBe('SERVICE_UNAVAILABLE');
    expect(asPlayerEntity.body.data?._entities[0]?.wallet).toBeNull();
  });
});
