/**
 * The withdrawal gate against the real rolling subgraph on the same database: what rolling holds
 * is refused with ROLLING_INCOMPLETE and its facts, what it has let go passes, a rolling that is
 * down, slow or talks nonsense refuses every withdrawal, and a deposit approved between rolling's
 * answer and the withdrawal's transaction is caught there. No refusal moves anything.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RollingStatus } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import { freePort, type TestSubgraph, waitFor } from '@rgb/kit/testing';
import {
  APPROVE_DEPOSIT,
  asPlayer,
  asStaff,
  brandBody,
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

/** How long the wallet waits for rolling's answer here (its ROLLING_RESPONSE_TIMEOUT_MS). */
const ROLLING_TIMEOUT_MS = 2_000;

let server: WalletTestServer;
let call: ServiceClient;
/** A second wallet on the same database whose ROLLING_URL is a port nothing listens on. */
let cutOff: TestSubgraph;
/** A third whose rolling answers outside the contract, and that stand-in. */
let misled: TestSubgraph;
let nonsense: Server;
beforeAll(async () => {
  server = await startWallet({ ROLLING_RESPONSE_TIMEOUT_MS: String(ROLLING_TIMEOUT_MS) });
  call = await serviceClient(server);
  cutOff = await startWalletOn(server.database.url, { ADMIN_URL: server.admin.url, ROLLING_URL: `http://127.0.0.1:${await freePort()}` });
  nonsense = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"allowed":"yes"}'));
  await new Promise<void>((resolve) => nonsense.listen(0, '127.0.0.1', resolve));
  misled = await startWalletOn(server.database.url, {
    ADMIN_URL: server.admin.url,
    ROLLING_URL: `http://127.0.0.1:${(nonsense.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await misled?.close();
  await new Promise((resolve) => nonsense?.close(resolve));
  await cutOff?.close();
  await server?.close();
});

const demo = () => server.brands.demo;
const acme = () => server.brands.acme;

function requestWithdrawal(player: string, amount: string, { brand = demo(), key, via = server }: { brand?: BrandRef; key?: string; via?: TestSubgraph } = {}) {
  return via.graphql<{ requestWithdrawal: WithdrawalView }>(REQUEST_WITHDRAWAL, { input: { amount, ...(key ? { idempotencyKey: key } : {}) } }, asPlayer(brand, player));
}

/** A deposit of `amount` requested and approved through the wallet (rolling is not told: no worker runs here). */
async function approvedDeposit(brand: BrandRef, player: string, amount: string): Promise<string> {
  const id = dataOf(
    await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount, depositorName: 'Lee Jiwoo' } }, asPlayer(brand, player)),
  ).requestDeposit.id;
  dataOf(await server.graphql(APPROVE_DEPOSIT, { id }, asStaff(brand)));
  return id;
}

/** A requirement as rolling stores it, in the state a test needs. */
function requirement(
  brand: BrandRef,
  player: string,
  { required, accrued = 0n, status = 'ACTIVE', expiresAt = null }: { required: bigint; accrued?: bigint; status?: RollingStatus; expiresAt?: Date | null },
) {
  return server.deps.prisma.rolling.create({
    data: {
      brandId: brand.id,
      playerId: player,
      currency: brand.currency,
      source: 'PROMOTION',
      sourceId: randomUUID(),
      amount: required,
      multiplierBps: 10_000,
      required,
      accrued,
      status,
      expiresAt,
      endedAt: status === 'ACTIVE' ? null : new Date(),
    },
  });
}

describe('a withdrawal rolling holds', () => {
  it('is refused with ROLLING_INCOMPLETE while a requirement is active: the reason, the count and what is left, in the brand currency', async () => {
    const player = randomUUID();
    await approvedDeposit(acme(), player, '10000');
    await processedByRolling(server, acme(), player);
    await requirement(acme(), player, { required: 10_000n, accrued: 2_500n });
    await requirement(acme(), player, { required: 3_000n, expiresAt: new Date(Date.now() + 86_400_000) });
    const held = await checksCounted(server, 'held');
    const before = await writeCounts(server);

    const refused = errorOf(await requestWithdrawal(player, '10000', { brand: acme() }));
    expect(refused).toEqual({
      code: 'ROLLING_INCOMPLETE',
      extensions: expect.objectContaining({ code: 'ROLLING_INCOMPLETE', reason: 'ACTIVE_REQUIREMENT', activeRequirements: 2, remaining: '10500' }),
    });
    expect((await requestWithdrawal(player, '10000', { brand: acme() })).body.errors?.[0]?.message).toBe(
      'withdrawals wait until the wagering requirement is met: 10500 KRW still to wager',
    );
    expect(await writeCounts(server)).toEqual(before);
    expect(await checksCounted(server, 'held')).toBe(held + 2);
    await expectBooks(server, { [player]: 10_000n });
  });

  it('says what is left in the brand currency\'s decimals', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    await requirement(demo(), player, { required: 1_234n });
    expect(errorOf(await requestWithdrawal(player, '20.00')).extensions).toMatchObject({ reason: 'ACTIVE_REQUIREMENT', activeRequirements: 1, remaining: '12.34' });
    await expectBooks(server, { [player]: 5_000n });
  });

  it('is refused with DEPOSITS_NOT_PROCESSED while rolling has not seen every approved deposit', async () => {
    const player = randomUUID();
    await approvedDeposit(demo(), player, '30.00');
    const before = await writeCounts(server);
    const refused = errorOf(await requestWithdrawal(player, '20.00'));
    expect(refused).toMatchObject({ code: 'ROLLING_INCOMPLETE', extensions: { reason: 'DEPOSITS_NOT_PROCESSED', activeRequirements: 0, remaining: '0.00' } });
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 3_000n });

    // Once rolling has processed it (without a requirement on this brand), the same withdrawal passes.
    await processedByRolling(server, demo(), player);
    expect(dataOf(await requestWithdrawal(player, '20.00')).requestWithdrawal).toMatchObject({ amount: '20.00', status: 'PENDING' });
    await expectBooks(server, { [player]: 1_000n });
  });

  it('counts only the brand\'s own deposits of the player', async () => {
    const player = randomUUID();
    await approvedDeposit(demo(), player, '30.00');
    await processedByRolling(server, demo(), player);
    // An approved deposit of the player on another brand is no deposit of this one: rolling was not told of it either.
    await server.deps.prisma.depositRequest.create({
      data: { brandId: acme().id, playerId: player, amount: 1_000n, currency: 'KRW', depositorName: 'elsewhere', status: 'APPROVED' },
    });
    dataOf(await requestWithdrawal(player, '30.00'));
    await expectBooks(server, { [player]: 0n });
  });
});

describe('a withdrawal rolling lets go', () => {
  const states: [string, { status: RollingStatus; expiresAt?: Date }][] = [
    ['completed', { status: 'COMPLETED' }],
    ['canceled', { status: 'CANCELED' }],
    ['expired', { status: 'EXPIRED' }],
    ['still ACTIVE past its expiry (the expiry job not run yet)', { status: 'ACTIVE', expiresAt: new Date(Date.now() - 60_000) }],
  ];
  for (const [name, state] of states) {
    it(`passes when the requirement is ${name}: held at once`, async () => {
      const player = randomUUID();
      await approvedDeposit(acme(), player, '20000');
      await processedByRolling(server, acme(), player);
      await requirement(acme(), player, { required: 20_000n, accrued: 3_000n, ...state });
      const allowed = await checksCounted(server, 'allowed');
      const request = dataOf(await requestWithdrawal(player, '15000', { brand: acme() })).requestWithdrawal;
      expect(request).toMatchObject({ amount: '15000', status: 'PENDING', player: { id: player } });
      expect(await checksCounted(server, 'allowed')).toBe(allowed + 1);
      await expectBooks(server, { [player]: 5_000n });
    });
  }
});

describe('without an answer from rolling', () => {
  it('refuses with SERVICE_UNAVAILABLE when rolling cannot be reached, moving nothing', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const before = await writeCounts(server);
    const failed = await checksCounted(cutOff, 'failed');
    expect(errorOf(await requestWithdrawal(player, '20.00', { via: cutOff })).code).toBe('SERVICE_UNAVAILABLE');
    expect(await checksCounted(cutOff, 'failed')).toBe(failed + 1);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5_000n });
  });

  it('refuses with SERVICE_UNAVAILABLE when rolling answers outside its contract', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const before = await writeCounts(server);
    expect(errorOf(await requestWithdrawal(player, '20.00', { via: misled })).code).toBe('SERVICE_UNAVAILABLE');
    expect(await checksCounted(misled, 'failed')).toBe(1);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5_000n });
  });

  it('refuses with SERVICE_UNAVAILABLE when rolling answers later than the timeout, moving nothing', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const before = await writeCounts(server);
    const failed = await checksCounted(server, 'failed');
    const rolling = await blockRolling();
    const started = Date.now();
    try {
      expect(errorOf(await requestWithdrawal(player, '20.00')).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await rolling.release();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(ROLLING_TIMEOUT_MS - 50);
    expect(await checksCounted(server, 'failed')).toBe(failed + 1);
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5_000n });
  });

  it('still answers an idempotent repeat with the first request: rolling is not asked again', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const first = dataOf(await requestWithdrawal(player, '20.00', { key: 'gate-repeat' })).requestWithdrawal;
    const failed = await checksCounted(cutOff, 'failed');
    const again = dataOf(await requestWithdrawal(player, '20.00', { key: 'gate-repeat', via: cutOff })).requestWithdrawal;
    expect(again).toEqual(first);
    expect(await checksCounted(cutOff, 'failed')).toBe(failed);
    expect(await server.deps.prisma.withdrawalRequest.count({ where: { playerId: player } })).toBe(1);
    await expectBooks(server, { [player]: 3_000n });
  });
});

describe('a deposit approved while rolling answers', () => {
  it('refuses the withdrawal with DEPOSITS_NOT_PROCESSED: the approved deposits are counted again in its transaction', async () => {
    const player = randomUUID();
    await approvedDeposit(demo(), player, '50.00');
    await processedByRolling(server, demo(), player);
    const pending = dataOf(
      await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount: '25.00', depositorName: 'Lee Jiwoo' } }, asPlayer(demo(), player)),
    ).requestDeposit.id;
    const before = await server.deps.prisma.withdrawalRequest.count();

    // The wallet asks with one approved deposit; while rolling's answer is held back, a second is
    // approved. Rolling then answers for the one it was asked about: allowed.
    const allowed = await checksCounted(server, 'allowed');
    const rolling = await blockRolling();
    let withdrawal: ReturnType<typeof requestWithdrawal>;
    try {
      withdrawal = requestWithdrawal(player, '40.00');
      await rolling.waiting();
      dataOf(await server.graphql(APPROVE_DEPOSIT, { id: pending }, asStaff(demo())));
    } finally {
      await rolling.release();
    }
    const answer = await withdrawal;
    expect(await checksCounted(server, 'allowed')).toBe(allowed + 1);
    expect(errorOf(answer)).toMatchObject({ code: 'ROLLING_INCOMPLETE', extensions: { reason: 'DEPOSITS_NOT_PROCESSED' } });
    expect(await server.deps.prisma.withdrawalRequest.count()).toBe(before);
    await expectBooks(server, { [player]: 7_500n });
  });
});

describe('a bonus credited while rolling answers', () => {
  it('refuses the withdrawal with CREDITED_MEANWHILE: the promotion credits are counted again in its transaction', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5_000n);
    const before = await server.deps.prisma.withdrawalRequest.count();

    // Rolling is asked while the player has no bonus: allowed. Meanwhile a coupon's requirement
    // is made (after rolling's answer) and its bonus credited; the withdrawal would hold it.
    const rolling = await blockRolling();
    let withdrawal: ReturnType<typeof requestWithdrawal>;
    try {
      withdrawal = requestWithdrawal(player, '60.00');
      await rolling.waiting();
      const credited = await call('promotions/credit', {
        brand: brandBody(demo()),
        player_id: player,
        key: `bonus-${randomUUID()}`,
        reference: 'coupon redemption',
        caused_by: 'service:promotion',
        reason: null,
        amount_minor: '10000',
      });
      expect(credited.status).toBe(200);
    } finally {
      await rolling.release();
    }
    expect(errorOf(await withdrawal)).toMatchObject({ code: 'ROLLING_INCOMPLETE', extensions: { reason: 'CREDITED_MEANWHILE' } });
    expect(await server.deps.prisma.withdrawalRequest.count()).toBe(before);
    await expectBooks(server, { [player]: 15_000n });
  });
});

/**
 * Holds rolling's withdrawal check back: an exclusive lock on processed_deposit, which the check
 * reads, held in a transaction of the test's own until `release`. `waiting` resolves once a
 * check is blocked on it.
 */
async function blockRolling(): Promise<{ waiting: () => Promise<void>; release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holding = server.deps.prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('LOCK TABLE rolling.processed_deposit IN ACCESS EXCLUSIVE MODE');
      locked();
      await released;
    },
    { timeout: 30_000 },
  );
  await Promise.race([isLocked, holding]);
  return {
    waiting: async () => {
      await waitFor('a withdrawal check blocked on processed_deposit', async () => {
        const [row] = await server.deps.prisma.$queryRawUnsafe<{ waiting: number }[]>(
          `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'processed_deposit' AND NOT l.granted
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return row!.waiting > 0;
      });
    },
    release: async () => {
      release();
      await holding;
    },
  };
}
