/**
 * Money at the GraphQL edge: a decimal string in major units, exact for the brand's currency
 * (USD: at most 2 decimals; KRW: none). Anything else is BAD_USER_INPUT and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import {
  ADJUST_BALANCE,
  asPlayer,
  asStaff,
  dataOf,
  type DepositView,
  errorOf,
  expectBooks,
  fund,
  REQUEST_DEPOSIT,
  REQUEST_WITHDRAWAL,
  serviceClient,
  type ServiceClient,
  startWallet,
  writeCounts,
} from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server);
});
afterAll(() => server?.close());

const deposit = (brand: 'demo' | 'acme', amount: unknown, player = randomUUID()) =>
  server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount, depositorName: 'Choi' } }, asPlayer(server.brands[brand], player));

/** Refused in any currency: signs, zero, exponents, separators, blanks, hex, overflow. */
const NEVER = ['-5', '-0.01', '0', '0.00', '00', '1e3', '1E3', '1,000', ' 10', '10 ', '', '.5', '10.', '+10', '0x10', 'ten', 'NaN', 'Infinity', '1_000', '١٠'];
const HUGE = '100000000000000000';

describe('requestDeposit amounts in USD (demo)', () => {
  it.each([
    ['10.5', '10.50'],
    ['10.50', '10.50'],
    ['10', '10.00'],
    ['10000', '10000.00'],
    ['0012.30', '12.30'],
  ])('accepts %j as %s', async (input, shown) => {
    const player = randomUUID();
    const request = dataOf(await deposit('demo', input, player)).requestDeposit;
    expect(request.amount).toBe(shown);
    const stored = await server.deps.prisma.depositRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(stored.amount).toBe(BigInt(shown.replace('.', '')));
  });

  it.each(['10.505', '0.001', '1.000', ...NEVER, HUGE])('refuses %j with BAD_USER_INPUT and writes nothing', async (input) => {
    const before = await writeCounts(server);
    expect(errorOf(await deposit('demo', input)).code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
  });

  it('refuses a number instead of a string (a float never enters)', async () => {
    const before = await writeCounts(server);
    expect(errorOf(await deposit('demo', 10.5)).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await deposit('demo', 10)).code).toBe('BAD_USER_INPUT');
    const literal = await server.graphql(`mutation { requestDeposit(input: { amount: 10.5, depositorName: "Choi" }) { id } }`, {}, asPlayer(server.brands.demo, randomUUID()));
    expect(errorOf(literal).code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await writeCounts(server)).toEqual(before);
  });
});

describe('requestDeposit amounts in KRW (acme)', () => {
  it('accepts whole won', async () => {
    expect(dataOf(await deposit('acme', '10000')).requestDeposit.amount).toBe('10000');
  });

  it.each(['10000.5', '10000.0', '1.00', ...NEVER, HUGE])('refuses %j with BAD_USER_INPUT and writes nothing', async (input) => {
    const before = await writeCounts(server);
    expect(errorOf(await deposit('acme', input)).code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
  });
});

describe('the same rules on the other money inputs', () => {
  it('requestWithdrawal refuses inexact amounts and holds nothing', async () => {
    const player = randomUUID();
    await fund(call, server.brands.demo, player, 100_000n);
    const before = await writeCounts(server);
    for (const amount of ['10.505', '-5', '0', '1e3', HUGE]) {
      const response = await server.graphql(REQUEST_WITHDRAWAL, { input: { amount } }, asPlayer(server.brands.demo, player));
      expect(errorOf(response).code, amount).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 100_000n });
  });

  it('adjustBalance takes one leading minus and nothing else inexact', async () => {
    const player = randomUUID();
    await fund(call, server.brands.demo, player, 100_000n);
    const before = await writeCounts(server);
    for (const amount of ['--5', '-10.505', '- 5', '-1e3', '-0', '0', `-${HUGE}`, HUGE]) {
      const input = { playerId: player, amount, reason: 'r', idempotencyKey: `k-${randomUUID()}` };
      expect(errorOf(await server.graphql(ADJUST_BALANCE, { input }, asStaff(server.brands.demo))).code, amount).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    const acmeInput = { playerId: randomUUID(), amount: '-0.5', reason: 'r', idempotencyKey: `k-${randomUUID()}` };
    expect(errorOf(await server.graphql(ADJUST_BALANCE, { input: acmeInput }, asStaff(server.brands.acme))).code).toBe('BAD_USER_INPUT');
    await expectBooks(server, { [player]: 100_000n });
  });
});
