/**
 * Who may call what: players ask, staff decide, anonymous callers do neither; the internal API
 * answers only service tokens; staff see and decide only their own brand's requests.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, signedIn, type SeededTestSubgraph } from '@rgb/kit/testing';
import { TokenService } from '@rgb/auth';
import {
  ADJUST_BALANCE,
  APPROVE_DEPOSIT,
  APPROVE_WITHDRAWAL,
  asPlayer,
  asStaff,
  brandBody,
  dataOf,
  DECLINE_DEPOSIT,
  DECLINE_WITHDRAWAL,
  DEPOSIT_REQUESTS,
  type DepositView,
  errorOf,
  expectBooks,
  fund,
  internalCall,
  MARK_WITHDRAWAL_PAID,
  providerBody,
  REQUEST_DEPOSIT,
  REQUEST_WITHDRAWAL,
  serviceClient,
  type ServiceClient,
  startWallet,
  WITHDRAWAL_REQUESTS,
  type WithdrawalView,
  writeCounts,
} from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server);
});
afterAll(() => server?.close());

const demo = () => server.brands.demo;
const acme = () => server.brands.acme;

const DEPOSIT_INPUT = { input: { amount: '10.00', depositorName: 'Lee' } };
const WITHDRAWAL_INPUT = { input: { amount: '20.00' } };

describe('GraphQL audiences', () => {
  it('a player may not decide or list requests, nor adjust balances: FORBIDDEN, nothing written', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 1000n);
    const pending = dataOf(await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, DEPOSIT_INPUT, asPlayer(demo(), player))).requestDeposit.id;
    const before = await writeCounts(server);
    const me = asPlayer(demo(), player);
    for (const operation of [APPROVE_DEPOSIT, DECLINE_DEPOSIT, APPROVE_WITHDRAWAL, DECLINE_WITHDRAWAL, MARK_WITHDRAWAL_PAID]) {
      expect(errorOf(await server.graphql(operation, { id: pending }, me)).code, operation).toBe('FORBIDDEN');
    }
    expect(errorOf(await server.graphql(DEPOSIT_REQUESTS, {}, me)).code).toBe('FORBIDDEN');
    expect(errorOf(await server.graphql(WITHDRAWAL_REQUESTS, {}, me)).code).toBe('FORBIDDEN');
    const adjust = { input: { playerId: player, amount: '100.00', reason: 'self-service', idempotencyKey: `self-${player}` } };
    expect(errorOf(await server.graphql(ADJUST_BALANCE, adjust, me)).code).toBe('FORBIDDEN');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 1000n });
  });

  it('an agent may neither ask for money nor decide: FORBIDDEN', async () => {
    const agent = signedIn(demo(), 'agent', randomUUID());
    const before = await writeCounts(server);
    expect(errorOf(await server.graphql(REQUEST_DEPOSIT, DEPOSIT_INPUT, agent)).code).toBe('FORBIDDEN');
    expect(errorOf(await server.graphql(APPROVE_DEPOSIT, { id: randomUUID() }, agent)).code).toBe('FORBIDDEN');
    expect(errorOf(await server.graphql(DEPOSIT_REQUESTS, {}, agent)).code).toBe('FORBIDDEN');
    expect(await writeCounts(server)).toEqual(before);
  });

  it('staff may not ask for deposits or withdrawals: FORBIDDEN, nothing written', async () => {
    const before = await writeCounts(server);
    expect(errorOf(await server.graphql(REQUEST_DEPOSIT, DEPOSIT_INPUT, asStaff(demo()))).code).toBe('FORBIDDEN');
    expect(errorOf(await server.graphql(REQUEST_WITHDRAWAL, WITHDRAWAL_INPUT, asStaff(demo()))).code).toBe('FORBIDDEN');
    expect(await writeCounts(server)).toEqual(before);
  });

  it('anonymous callers are UNAUTHENTICATED everywhere, and nothing is written', async () => {
    const nobody = anonymous(demo());
    const before = await writeCounts(server);
    expect(errorOf(await server.graphql(REQUEST_DEPOSIT, DEPOSIT_INPUT, nobody)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await server.graphql(REQUEST_WITHDRAWAL, WITHDRAWAL_INPUT, nobody)).code).toBe('UNAUTHENTICATED');
    for (const operation of [APPROVE_DEPOSIT, DECLINE_DEPOSIT, APPROVE_WITHDRAWAL, DECLINE_WITHDRAWAL, MARK_WITHDRAWAL_PAID]) {
      expect(errorOf(await server.graphql(operation, { id: randomUUID() }, nobody)).code, operation).toBe('UNAUTHENTICATED');
    }
    expect(errorOf(await server.graphql(DEPOSIT_REQUESTS, {}, nobody)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await server.graphql(WITHDRAWAL_REQUESTS, {}, nobody)).code).toBe('UNAUTHENTICATED');
    const adjust = { input: { playerId: randomUUID(), amount: '1.00', reason: 'r', idempotencyKey: 'anon' } };
    expect(errorOf(await server.graphql(ADJUST_BALANCE, adjust, nobody)).code).toBe('UNAUTHENTICATED');
    expect(await writeCounts(server)).toEqual(before);
  });

  it('a request without the router-signed context is refused with 401', async () => {
    const response = await server.graphql(REQUEST_DEPOSIT, DEPOSIT_INPUT, null);
    expect(response.status).toBe(401);
  });
});

describe('brands', () => {
  it('demo staff neither see nor decide acme requests; acme staff do', async () => {
    const acmePlayer = randomUUID();
    await fund(call, acme(), acmePlayer, 50_000n);
    const deposit = dataOf(
      await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount: '30000', depositorName: 'Park' } }, asPlayer(acme(), acmePlayer)),
    ).requestDeposit.id;
    const withdrawal = dataOf(
      await server.graphql<{ requestWithdrawal: WithdrawalView }>(REQUEST_WITHDRAWAL, { input: { amount: '20000' } }, asPlayer(acme(), acmePlayer)),
    ).requestWithdrawal.id;

    type Listing = { depositRequests?: { edges: { node: { id: string } }[] }; withdrawalRequests?: { edges: { node: { id: string } }[] } };
    const ids = (listing: Listing) => [...(listing.depositRequests?.edges ?? []), ...(listing.withdrawalRequests?.edges ?? [])].map((edge) => edge.node.id);
    const demoStaff = asStaff(demo());
    expect(ids(dataOf(await server.graphql<Listing>(DEPOSIT_REQUESTS, {}, demoStaff)))).not.toContain(deposit);
    expect(ids(dataOf(await server.graphql<Listing>(WITHDRAWAL_REQUESTS, {}, demoStaff)))).not.toContain(withdrawal);

    const before = await writeCounts(server);
    expect(errorOf(await server.graphql(APPROVE_DEPOSIT, { id: deposit }, demoStaff)).code).toBe('NOT_FOUND');
    expect(errorOf(await server.graphql(DECLINE_DEPOSIT, { id: deposit }, demoStaff)).code).toBe('NOT_FOUND');
    expect(errorOf(await server.graphql(APPROVE_WITHDRAWAL, { id: withdrawal }, demoStaff)).code).toBe('NOT_FOUND');
    expect(errorOf(await server.graphql(DECLINE_WITHDRAWAL, { id: withdrawal }, demoStaff)).code).toBe('NOT_FOUND');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [acmePlayer]: 30_000n });

    const acmeStaff = asStaff(acme());
    expect(ids(dataOf(await server.graphql<Listing>(DEPOSIT_REQUESTS, { status: 'PENDING' }, acmeStaff)))).toContain(deposit);
    expect(ids(dataOf(await server.graphql<Listing>(WITHDRAWAL_REQUESTS, { status: 'PENDING' }, acmeStaff)))).toContain(withdrawal);
    dataOf(await server.graphql(APPROVE_DEPOSIT, { id: deposit }, acmeStaff));
    dataOf(await server.graphql(DECLINE_WITHDRAWAL, { id: withdrawal }, acmeStaff));
    await expectBooks(server, { [acmePlayer]: 80_000n });
  });

  it('the listing is filtered by status', async () => {
    const player = randomUUID();
    const id = dataOf(await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, DEPOSIT_INPUT, asPlayer(demo(), player))).requestDeposit.id;
    dataOf(await server.graphql(DECLINE_DEPOSIT, { id }, asStaff(demo())));
    type Listing = { depositRequests: { edges: { node: { id: string; status: string } }[] } };
    const pending = dataOf(await server.graphql<Listing>(DEPOSIT_REQUESTS, { status: 'PENDING' }, asStaff(demo()))).depositRequests.edges;
    const declined = dataOf(await server.graphql<Listing>(DEPOSIT_REQUESTS, { status: 'DECLINED' }, asStaff(demo()))).depositRequests.edges;
    expect(pending.map((edge) => edge.node.id)).not.toContain(id);
    expect(declined.map((edge) => edge.node.id)).toContain(id);
    expect(new Set(declined.map((edge) => edge.node.status))).toEqual(new Set(['DECLINED']));
  });
});

describe('the internal API refuses anything but a service token', () => {
  const routes = (player: string) => [
    ['bets', providerBody({ brand: demo(), player, tx: `t-${player}`, amount: 100n })],
    ['wins', providerBody({ brand: demo(), player, tx: `w-${player}`, amount: 100n })],
    ['rollbacks', providerBody({ brand: demo(), player, tx: `r-${player}`, reference: `t-${player}` })],
    ['promotions/credit', { brand: brandBody(demo()), player_id: player, key: `k-${player}`, reference: 'coupon', caused_by: 'service:promotion', amount_minor: '100' }],
    ['promotions/reverse', { brand: brandBody(demo()), player_id: player, key: `k-${player}`, reference: 'coupon', caused_by: 'service:promotion', amount_minor: '100' }],
    ['adjustments', { brand: brandBody(demo()), player_id: player, key: `k-${player}`, reference: 'x', caused_by: 'agent:a', reason: 'r', amount_minor: '100' }],
    ['rolling-completions', { brand: brandBody(demo()), rolling_id: randomUUID(), player_id: player }],
  ] as const;

  it('answers 401 without a token, with player, staff and agent access tokens, and with a forged service token; writes nothing', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 10_000n);
    const claims = (audience: 'player' | 'staff' | 'agent') => ({ audience, subject: player, brandId: demo().id, sessionId: randomUUID() });
    const forger = new TokenService({ secret: 'x'.repeat(48) });
    const authorizations: (string | null)[] = [
      null,
      'Bearer ',
      'Bearer not-a-jwt',
      `Bearer ${await server.deps.userTokens.signAccess(claims('player'))}`,
      `Bearer ${await server.deps.userTokens.signAccess(claims('staff'))}`,
      `Bearer ${await server.deps.userTokens.signAccess(claims('agent'))}`,
      `Bearer ${await forger.signService('game')}`,
    ];
    const before = await writeCounts(server);
    for (const authorization of authorizations) {
      for (const [path, body] of routes(player)) {
        const response = await internalCall(server, path, body, { authorization });
        expect(response.status, `${path} with ${authorization?.slice(0, 20)}`).toBe(401);
      }
      const balance = await internalCall(server, `balance?brand_id=${demo().id}&brand_code=demo&currency=USD&player_id=${player}`, undefined, { authorization });
      expect(balance.status).toBe(401);
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 10_000n });
  });

  it('answers a service token (the control: the same calls are accepted)', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 10_000n);
    for (const [path, body] of routes(player)) {
      const response = await call(path, body);
      expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    }
    // funded 100.00, bet 1.00, win 1.00, rollback +1.00, promotion +1.00 -1.00, adjustment +1.00
    await expectBooks(server, { [player]: 10_200n });
  });
});
