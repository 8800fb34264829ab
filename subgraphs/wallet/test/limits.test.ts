/**
 * Each brand's deposit and withdrawal limits, read from the real admin subgraph: an amount outside
 * them is refused with BAD_USER_INPUT and the range before anything is written or rolling is
 * asked, the bounds themselves pass, a change made through the admin holds from its change notice
 * on, an idempotent repeat still answers, and without a config to read nothing is let through.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BrandRef } from '@rgb/kit';
import { firstError, freePort, type GraphQLResponse, signedIn, type TestSubgraph } from '@rgb/kit/testing';
import {
  APPROVE_DEPOSIT,
  asPlayer,
  asStaff,
  checksCounted,
  dataOf,
  type DepositView,
  errorOf,
  expectBooks,
  fund,
  processedByRolling,
  REQUEST_DEPOSIT,
  REQUEST_WITHDRAWAL,
  serviceClient,
  type ServiceClient,
  startWallet,
  startWalletOn,
  type WalletTestServer,
  type WithdrawalView,
  writeCounts,
} from './helpers';

let server: WalletTestServer;
let call: ServiceClient;
/** A second wallet on the same database whose ADMIN_URL is a port nothing listens on: it never had a config to cache. */
let adminless: TestSubgraph;
beforeAll(async () => {
  server = await startWallet();
  call = await serviceClient(server);
  adminless = await startWalletOn(server.database.url, { ADMIN_URL: `http://127.0.0.1:${await freePort()}`, ROLLING_URL: server.rolling.url });
});
afterAll(async () => {
  await adminless?.close();
  await server?.close();
});

const demo = () => server.brands.demo;
const acme = () => server.brands.acme;

function requestDeposit(brand: BrandRef, player: string, amount: string, { key, via = server }: { key?: string; via?: TestSubgraph } = {}) {
  return via.graphql<{ requestDeposit: DepositView }>(
    REQUEST_DEPOSIT,
    { input: { amount, depositorName: 'Han Yuna', ...(key ? { idempotencyKey: key } : {}) } },
    asPlayer(brand, player),
  );
}
function requestWithdrawal(brand: BrandRef, player: string, amount: string, { key, via = server }: { key?: string; via?: TestSubgraph } = {}) {
  return via.graphql<{ requestWithdrawal: WithdrawalView }>(REQUEST_WITHDRAWAL, { input: { amount, ...(key ? { idempotencyKey: key } : {}) } }, asPlayer(brand, player));
}

/** The refusal of an amount outside the brand's range, as the player sees it: the range in the message and as `min`/`max`. */
function expectOutsideLimits(response: GraphQLResponse<unknown>, request: 'deposit' | 'withdrawal', [min, max]: [string, string], currency: string): void {
  expect(firstError(response)).toEqual({ code: 'BAD_USER_INPUT', message: `a ${request} must be between ${min} and ${max} ${currency}` });
  expect(errorOf(response).extensions).toMatchObject({ min, max });
}

describe.each([
  {
    name: 'demo (USD cents)',
    brand: () => demo(),
    deposit: { below: '9.99', min: '10.00', max: '10000.00', above: '10000.01' },
    withdrawal: { below: '19.99', min: '20.00', max: '5000.00', above: '5000.01' },
    // Enough for both accepted withdrawals (min + max), in minor units.
    funded: 502_000n,
  },
  {
    name: 'acme (KRW)',
    brand: () => acme(),
    deposit: { below: '9999', min: '10000', max: '10000000', above: '10000001' },
    withdrawal: { below: '9999', min: '10000', max: '5000000', above: '5000001' },
    funded: 5_010_000n,
  },
])('the seeded limits of $name', ({ brand, deposit, withdrawal, funded }) => {
  it('refuse a deposit below the minimum or above the maximum with the range, writing nothing', async () => {
    const player = randomUUID();
    const before = await writeCounts(server);
    for (const amount of [deposit.below, deposit.above]) {
      expectOutsideLimits(await requestDeposit(brand(), player, amount), 'deposit', [deposit.min, deposit.max], brand().currency);
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: null });
  });

  it('accept a deposit of exactly the minimum and of exactly the maximum', async () => {
    const player = randomUUID();
    for (const amount of [deposit.min, deposit.max]) {
      expect(dataOf(await requestDeposit(brand(), player, amount)).requestDeposit).toMatchObject({ amount, status: 'PENDING' });
    }
    await expectBooks(server, { [player]: null });
  });

  it('refuse a withdrawal below the minimum or above the maximum before rolling is asked, holding nothing', async () => {
    const player = randomUUID();
    await fund(call, brand(), player, funded);
    const before = await writeCounts(server);
    const allowed = await checksCounted(server, 'allowed');
    for (const amount of [withdrawal.below, withdrawal.above]) {
      expectOutsideLimits(await requestWithdrawal(brand(), player, amount), 'withdrawal', [withdrawal.min, withdrawal.max], brand().currency);
    }
    expect(await checksCounted(server, 'allowed')).toBe(allowed);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: funded });
  });

  it('accept a withdrawal of exactly the minimum and of exactly the maximum, held at once', async () => {
    const player = randomUUID();
    await fund(call, brand(), player, funded);
    for (const amount of [withdrawal.min, withdrawal.max]) {
      expect(dataOf(await requestWithdrawal(brand(), player, amount)).requestWithdrawal).toMatchObject({ amount, status: 'PENDING' });
    }
    await expectBooks(server, { [player]: 0n });
  });
});

describe('a change of the limits through the admin', () => {
  const UPDATE_CONFIG = `mutation ($id: ID!, $input: UpdateBrandConfigInput!) { updateBrandConfig(brandId: $id, input: $input) { id } }`;
  const SEEDED = { minDeposit: '10.00', maxDeposit: '10000.00', minWithdrawal: '20.00', maxWithdrawal: '5000.00' };
  const RAISED = { minDeposit: '50.00', maxDeposit: '20000.00', minWithdrawal: '100.00', maxWithdrawal: '8000.00' };

  async function setLimits(limits: typeof SEEDED): Promise<void> {
    const admin = await server.admin.deps.prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } });
    dataOf(await server.admin.graphql(UPDATE_CONFIG, { id: demo().id, input: { limits } }, signedIn(demo(), 'staff', admin.id)));
  }

  /**
   * Polls with a withdrawal by a player without money until the refusal is `code`: under the old
   * limits it meets INSUFFICIENT_FUNDS, so the polling writes nothing either way. The cache keeps
   * a config for 60 s: a change seen within 5 s came with its change notice.
   */
  async function untilWithdrawalOf(amount: string, code: string): Promise<void> {
    const broke = randomUUID();
    await vi.waitFor(async () => expect(errorOf(await requestWithdrawal(demo(), broke, amount)).code).toBe(code), { timeout: 5_000, interval: 50 });
  }

  it('holds for the next requests; an earlier request repeated with its key is still answered, and staff still approve it', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 900_000n);
    // Made under the seeded limits, and the config cached by them.
    const earlierDeposit = dataOf(await requestDeposit(demo(), player, '20.00', { key: 'limits-deposit' })).requestDeposit;
    const earlierWithdrawal = dataOf(await requestWithdrawal(demo(), player, '30.00', { key: 'limits-withdrawal' })).requestWithdrawal;
    await untilWithdrawalOf('6000.00', 'BAD_USER_INPUT');

    await setLimits(RAISED);
    try {
      await untilWithdrawalOf('6000.00', 'INSUFFICIENT_FUNDS');
      const before = await writeCounts(server);
      expectOutsideLimits(await requestDeposit(demo(), player, '20.00'), 'deposit', ['50.00', '20000.00'], 'USD');
      expectOutsideLimits(await requestWithdrawal(demo(), player, '30.00'), 'withdrawal', ['100.00', '8000.00'], 'USD');
      expect(await writeCounts(server)).toEqual(before);

      // The repeats answer the requests made before the change, outside the new limits as they are.
      expect(dataOf(await requestDeposit(demo(), player, '20.00', { key: 'limits-deposit' })).requestDeposit).toEqual(earlierDeposit);
      expect(dataOf(await requestWithdrawal(demo(), player, '30.00', { key: 'limits-withdrawal' })).requestWithdrawal).toEqual(earlierWithdrawal);
      expect(await writeCounts(server)).toEqual(before);
      dataOf(await server.graphql(APPROVE_DEPOSIT, { id: earlierDeposit.id }, asStaff(demo())));
      await processedByRolling(server, demo(), player);

      // What the old limits refused, the new ones take.
      expect(dataOf(await requestDeposit(demo(), player, '15000.00')).requestDeposit.amount).toBe('15000.00');
      expect(dataOf(await requestWithdrawal(demo(), player, '8000.00')).requestWithdrawal.amount).toBe('8000.00');
      // Funded 9000.00, approved 20.00, held 30.00 and 8000.00.
      await expectBooks(server, { [player]: 99_000n });
    } finally {
      await setLimits(SEEDED);
      await untilWithdrawalOf('6000.00', 'BAD_USER_INPUT');
    }
  });
});

describe('without the brand config', () => {
  it('refuses deposits and withdrawals with SERVICE_UNAVAILABLE while the admin cannot be reached and nothing is cached, writing nothing', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const before = await writeCounts(server);
    expect(errorOf(await requestDeposit(demo(), player, '25.00', { via: adminless })).code).toBe('SERVICE_UNAVAILABLE');
    expect(errorOf(await requestDeposit(demo(), player, '25.00', { via: adminless, key: 'adminless' })).code).toBe('SERVICE_UNAVAILABLE');
    expect(errorOf(await requestWithdrawal(demo(), player, '20.00', { via: adminless })).code).toBe('SERVICE_UNAVAILABLE');
    // Refused before rolling was asked.
    expect(await checksCounted(adminless, 'allowed')).toBe(0);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5_000n });
  });

  it('refuses every request on a brand the admin holds no config for with SERVICE_UNAVAILABLE, writing nothing', async () => {
    const row = await server.deps.prisma.brand.create({ data: { code: `bare${randomUUID().slice(0, 8)}`, name: 'Bare Casino', currency: 'USD' } });
    const bare: BrandRef = { id: row.id, code: row.code, currency: row.currency };
    const player = randomUUID();
    await fund(call, bare, player, 5_000n);
    const before = await writeCounts(server);
    expect(firstError(await requestDeposit(bare, player, '25.00'))).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'deposits are not available on this brand: it has no limits configured',
    });
    expect(errorOf(await requestWithdrawal(bare, player, '20.00')).code).toBe('SERVICE_UNAVAILABLE');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5_000n });
  });
});
