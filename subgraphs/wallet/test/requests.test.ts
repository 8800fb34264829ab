/**
 * Deposits, withdrawals and staff adjustments through GraphQL: what each command writes (money,
 * ledger, outbox), its idempotency, and every refusal leaving nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import {
  ADJUST_BALANCE,
  APPROVE_DEPOSIT,
  APPROVE_WITHDRAWAL,
  asPlayer,
  asStaff,
  dataOf,
  DECLINE_DEPOSIT,
  DECLINE_WITHDRAWAL,
  type DepositView,
  entriesOf,
  errorOf,
  expectBooks,
  fund,
  MARK_WITHDRAWAL_PAID,
  outboxRows,
  REQUEST_DEPOSIT,
  REQUEST_WITHDRAWAL,
  serviceClient,
  type ServiceClient,
  startWallet,
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

async function requestDeposit(player: string, amount: string, idempotencyKey?: string, brand = demo()) {
  return server.graphql<{ requestDeposit: DepositView }>(
    REQUEST_DEPOSIT,
    { input: { amount, depositorName: 'Kim Minsu', ...(idempotencyKey ? { idempotencyKey } : {}) } },
    asPlayer(brand, player),
  );
}
const decide = <T>(operation: string, id: string, brand = demo(), reason?: string) =>
  server.graphql<T>(operation, { id, ...(reason ? { reason } : {}) }, asStaff(brand));
async function requestWithdrawal(player: string, amount: string, idempotencyKey?: string, brand = demo()) {
  return server.graphql<{ requestWithdrawal: WithdrawalView }>(
    REQUEST_WITHDRAWAL,
    { input: { amount, ...(idempotencyKey ? { idempotencyKey } : {}) } },
    asPlayer(brand, player),
  );
}
async function pendingDeposit(player: string, amount: string, brand = demo()): Promise<string> {
  return dataOf(await requestDeposit(player, amount, undefined, brand)).requestDeposit.id;
}

describe('requestDeposit', () => {
  it('creates a PENDING request, moves no money, and writes DEPOSIT_REQUESTED with the brand', async () => {
    const player = randomUUID();
    const request = dataOf(await requestDeposit(player, '25.00')).requestDeposit;
    expect(request).toMatchObject({ amount: '25.00', status: 'PENDING', depositorName: 'Kim Minsu', decidedAt: null, player: { id: player } });
    const [event, ...more] = await outboxRows(server, 'DEPOSIT_REQUESTED', request.id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({
      brand_id: demo().id,
      aggregate_type: 'deposit_request',
      payload: { request_id: request.id, player_id: player, amount_minor: '2500', currency: 'USD', depositor_name: 'Kim Minsu' },
    });
    await expectBooks(server, { [player]: null });
  });

  it('without an idempotency key makes a new request every time', async () => {
    const player = randomUUID();
    const first = dataOf(await requestDeposit(player, '10.00')).requestDeposit;
    const second = dataOf(await requestDeposit(player, '10.00')).requestDeposit;
    expect(second.id).not.toBe(first.id);
    expect(await server.deps.prisma.depositRequest.count({ where: { playerId: player } })).toBe(2);
  });

  it('with the same key and amount returns the first request, writing nothing more', async () => {
    const player = randomUUID();
    const first = dataOf(await requestDeposit(player, '10.00', 'dep-key-1')).requestDeposit;
    const before = await writeCounts(server);
    const again = dataOf(await requestDeposit(player, '10.00', 'dep-key-1')).requestDeposit;
    expect(again).toEqual(first);
    expect(await writeCounts(server)).toEqual(before);
    expect(await outboxRows(server, 'DEPOSIT_REQUESTED', first.id)).toHaveLength(1);
  });

  it('with the same key and another amount is a CONFLICT and creates nothing', async () => {
    const player = randomUUID();
    await requestDeposit(player, '10.00', 'dep-key-2');
    const before = await writeCounts(server);
    expect(errorOf(await requestDeposit(player, '11.00', 'dep-key-2')).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
  });

  it('refuses a key too long or with spaces with BAD_USER_INPUT, for deposits and withdrawals alike', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5000n);
    const before = await writeCounts(server);
    for (const key of ['k'.repeat(3000), 'has spaces']) {
      expect(errorOf(await requestDeposit(player, '20.00', key)).code).toBe('BAD_USER_INPUT');
      expect(errorOf(await requestWithdrawal(player, '20.00', key)).code).toBe('BAD_USER_INPUT');
    }
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5000n });
  });

  it('refuses a blank depositor name with BAD_USER_INPUT', async () => {
    const before = await writeCounts(server);
    const response = await server.graphql(REQUEST_DEPOSIT, { input: { amount: '25.00', depositorName: '   ' } }, asPlayer(demo(), randomUUID()));
    expect(errorOf(response).code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
  });
});

describe('approveDeposit', () => {
  it('credits the amount once, writes the DEPOSIT ledger entry and DEPOSIT_APPROVED with the brand', async () => {
    const player = randomUUID();
    const id = await pendingDeposit(player, '25.50');
    const approved = dataOf(await decide<{ approveDeposit: DepositView }>(APPROVE_DEPOSIT, id)).approveDeposit;
    expect(approved).toMatchObject({ id, status: 'APPROVED', amount: '25.50' });
    expect(approved.decidedAt).not.toBeNull();

    const [entry, ...moreEntries] = await entriesOf(server, `deposit.approve:${id}`);
    expect(moreEntries).toEqual([]);
    expect(entry).toMatchObject({ kind: 'DEPOSIT', amount: 2550n, balanceAfter: 2550n, playerId: player, brandId: demo().id });
    const [event, ...moreEvents] = await outboxRows(server, 'DEPOSIT_APPROVED', id);
    expect(moreEvents).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({
      brand_id: demo().id,
      payload: { request_id: id, player_id: player, amount_minor: '2550', balance_after_minor: '2550', ledger_entry_id: entry!.id, currency: 'USD' },
    });
    await expectBooks(server, { [player]: 2550n });
  });

  it('approving twice is a CONFLICT: credited once, one entry, one event', async () => {
    const player = randomUUID();
    const id = await pendingDeposit(player, '17.00');
    dataOf(await decide(APPROVE_DEPOSIT, id));
    const before = await writeCounts(server);
    expect(errorOf(await decide(APPROVE_DEPOSIT, id)).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    expect(await entriesOf(server, `deposit.approve:${id}`)).toHaveLength(1);
    expect(await outboxRows(server, 'DEPOSIT_APPROVED', id)).toHaveLength(1);
    await expectBooks(server, { [player]: 1700n });
  });

  it('two approvals at the same moment credit once: one succeeds, the other is a CONFLICT', async () => {
    const player = randomUUID();
    const id = await pendingDeposit(player, '13.00');
    const answers = await Promise.all(Array.from({ length: 6 }, () => decide(APPROVE_DEPOSIT, id)));
    expect(answers.filter((answer) => !answer.body.errors).length).toBe(1);
    expect(answers.filter((answer) => answer.body.errors).map((answer) => errorOf(answer).code)).toEqual(Array(5).fill('CONFLICT'));
    await expectBooks(server, { [player]: 1300n });
  });

  it('is NOT_FOUND for an unknown id, a non-uuid id, and a request of another brand', async () => {
    const acmePlayer = randomUUID();
    const acmeRequest = await pendingDeposit(acmePlayer, '10000', acme());
    const before = await writeCounts(server);
    expect(errorOf(await decide(APPROVE_DEPOSIT, randomUUID())).code).toBe('NOT_FOUND');
    expect(errorOf(await decide(APPROVE_DEPOSIT, 'not-a-uuid')).code).toBe('NOT_FOUND');
    expect(errorOf(await decide(APPROVE_DEPOSIT, acmeRequest, demo())).code).toBe('NOT_FOUND');
    expect(await writeCounts(server)).toEqual(before);
    expect(await server.deps.prisma.depositRequest.findUniqueOrThrow({ where: { id: acmeRequest } })).toMatchObject({ status: 'PENDING' });
    await expectBooks(server, { [acmePlayer]: null });
  });

  it('credits in the brand currency: 10000 KRW on acme is 10000 minor units', async () => {
    const player = randomUUID();
    const id = await pendingDeposit(player, '10000', acme());
    expect(dataOf(await decide<{ approveDeposit: DepositView }>(APPROVE_DEPOSIT, id, acme())).approveDeposit.amount).toBe('10000');
    const account = await server.deps.prisma.walletAccount.findUniqueOrThrow({ where: { playerId: player } });
    expect(account).toMatchObject({ currency: 'KRW', brandId: acme().id });
    await expectBooks(server, { [player]: 10000n });
  });
});

describe('declineDeposit', () => {
  it('declines a pending request with its reason, moving no money, writing DEPOSIT_DECLINED with the brand and its staff action', async () => {
    const player = randomUUID();
    const id = await pendingDeposit(player, '19.99');
    const before = await writeCounts(server);
    const declined = dataOf(await decide<{ declineDeposit: DepositView }>(DECLINE_DEPOSIT, id, demo(), 'no such transfer')).declineDeposit;
    expect(declined).toMatchObject({ id, status: 'DECLINED', reason: 'no such transfer' });
    expect(await writeCounts(server)).toEqual({ ...before, outbox: before.outbox + 2 });
    const [event, ...more] = await outboxRows(server, 'DEPOSIT_DECLINED', id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({
      brand_id: demo().id,
      payload: { request_id: id, player_id: player, amount_minor: '1999', currency: 'USD', reason: 'no such transfer' },
    });
    expect(await outboxRows(server, 'STAFF_ACTION_RECORDED', id)).toHaveLength(1);
    await expectBooks(server, { [player]: null });
  });

  it('refuses to decide a decided request: approve after decline, decline after approve, decline twice', async () => {
    const player = randomUUID();
    const declined = await pendingDeposit(player, '11.00');
    dataOf(await decide(DECLINE_DEPOSIT, declined));
    const approved = await pendingDeposit(player, '12.00');
    dataOf(await decide(APPROVE_DEPOSIT, approved));
    const before = await writeCounts(server);
    expect(errorOf(await decide(APPROVE_DEPOSIT, declined)).code).toBe('CONFLICT');
    expect(errorOf(await decide(DECLINE_DEPOSIT, declined)).code).toBe('CONFLICT');
    expect(errorOf(await decide(DECLINE_DEPOSIT, approved)).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    const statuses = await server.deps.prisma.depositRequest.findMany({ where: { id: { in: [declined, approved] } }, select: { id: true, status: true } });
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({ [declined]: 'DECLINED', [approved]: 'APPROVED' });
    await expectBooks(server, { [player]: 1200n });
  });

  it('is NOT_FOUND for an unknown or malformed id and for another brand', async () => {
    const acmeRequest = await pendingDeposit(randomUUID(), '50000', acme());
    expect(errorOf(await decide(DECLINE_DEPOSIT, randomUUID())).code).toBe('NOT_FOUND');
    expect(errorOf(await decide(DECLINE_DEPOSIT, '42')).code).toBe('NOT_FOUND');
    expect(errorOf(await decide(DECLINE_DEPOSIT, acmeRequest, demo())).code).toBe('NOT_FOUND');
    expect(await server.deps.prisma.depositRequest.findUniqueOrThrow({ where: { id: acmeRequest } })).toMatchObject({ status: 'PENDING' });
  });
});

describe('requestWithdrawal', () => {
  it('holds the amount at once: balance down, WITHDRAWAL_HOLD entry, WITHDRAW_REQUESTED with the brand', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5000n);
    const request = dataOf(await requestWithdrawal(player, '20.00')).requestWithdrawal;
    expect(request).toMatchObject({ amount: '20.00', status: 'PENDING', paidAt: null, player: { id: player } });
    expect(await entriesOf(server, `withdrawal.hold:${request.id}`)).toMatchObject([{ kind: 'WITHDRAWAL_HOLD', amount: -2000n, balanceAfter: 3000n }]);
    const [event, ...more] = await outboxRows(server, 'WITHDRAW_REQUESTED', request.id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({ brand_id: demo().id, payload: { request_id: request.id, player_id: player, amount_minor: '2000' } });
    await expectBooks(server, { [player]: 3000n });
  });

  it('refuses more than the balance with INSUFFICIENT_FUNDS and the balance, creating nothing', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 2000n);
    const before = await writeCounts(server);
    const refused = errorOf(await requestWithdrawal(player, '20.01'));
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_FUNDS', extensions: { balance: '20.00' } });
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 2000n });
  });

  it('refuses a player without an account, with balance "0.00"', async () => {
    const player = randomUUID();
    const before = await writeCounts(server);
    expect(errorOf(await requestWithdrawal(player, '20.00'))).toMatchObject({ code: 'INSUFFICIENT_FUNDS', extensions: { balance: '0.00' } });
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: null });
  });

  it('lets the whole balance go, to exactly zero', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 2345n);
    dataOf(await requestWithdrawal(player, '23.45'));
    await expectBooks(server, { [player]: 0n });
  });

  it('with the same key and amount holds once and returns the first request', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5000n);
    const first = dataOf(await requestWithdrawal(player, '20.00', 'wd-key-1')).requestWithdrawal;
    const again = dataOf(await requestWithdrawal(player, '20.00', 'wd-key-1')).requestWithdrawal;
    expect(again).toEqual(first);
    expect(await server.deps.prisma.withdrawalRequest.count({ where: { playerId: player } })).toBe(1);
    expect(await outboxRows(server, 'WITHDRAW_REQUESTED', first.id)).toHaveLength(1);
    await expectBooks(server, { [player]: 3000n });
  });

  it('with the same key fired at once holds once, every twin answering the first request (none short of funds)', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 2500n);
    const answers = await Promise.all(Array.from({ length: 8 }, () => requestWithdrawal(player, '25.00', 'wd-key-race')));
    const ids = new Set(answers.map((answer) => dataOf(answer).requestWithdrawal.id));
    expect(ids.size).toBe(1);
    await expectBooks(server, { [player]: 0n });
  });

  it('with the same key and another amount is a CONFLICT and holds nothing more', async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 5000n);
    dataOf(await requestWithdrawal(player, '20.00', 'wd-key-2'));
    const before = await writeCounts(server);
    expect(errorOf(await requestWithdrawal(player, '21.00', 'wd-key-2')).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 3000n });
  });
});

describe('approveWithdrawal, declineWithdrawal, markWithdrawalPaid', () => {
  async function pendingWithdrawal(player: string, funded: bigint, amount: string): Promise<string> {
    await fund(call, demo(), player, funded);
    return dataOf(await requestWithdrawal(player, amount)).requestWithdrawal.id;
  }

  it('approving keeps the money out and writes WITHDRAW_APPROVED with the brand; approving again is a CONFLICT', async () => {
    const player = randomUUID();
    const id = await pendingWithdrawal(player, 5000n, '20.00');
    const approved = dataOf(await decide<{ approveWithdrawal: WithdrawalView }>(APPROVE_WITHDRAWAL, id)).approveWithdrawal;
    expect(approved).toMatchObject({ id, status: 'APPROVED', paidAt: null });
    const [event, ...more] = await outboxRows(server, 'WITHDRAW_APPROVED', id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({ brand_id: demo().id, payload: { request_id: id, player_id: player, amount_minor: '2000' } });
    const before = await writeCounts(server);
    expect(errorOf(await decide(APPROVE_WITHDRAWAL, id)).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 3000n });
  });

  it('an approved withdrawal declined before it is paid (the transfer bounced) releases the hold once', async () => {
    const player = randomUUID();
    const bounced = await pendingWithdrawal(player, 5000n, '20.00');
    dataOf(await decide(APPROVE_WITHDRAWAL, bounced));
    expect(dataOf(await decide<{ declineWithdrawal: WithdrawalView }>(DECLINE_WITHDRAWAL, bounced, demo(), 'transfer bounced')).declineWithdrawal.status).toBe('DECLINED');
    expect(errorOf(await decide(MARK_WITHDRAWAL_PAID, bounced)).code).toBe('CONFLICT');
    expect(await entriesOf(server, `withdrawal.release:${bounced}`)).toMatchObject([{ amount: 2000n, reason: 'transfer bounced' }]);
    const [bouncedEvent, ...moreEvents] = await outboxRows(server, 'WITHDRAW_DECLINED', bounced);
    expect(moreEvents).toEqual([]);
    expect(bouncedEvent!.envelope).toMatchObject({ payload: { request_id: bounced, amount_minor: '2000', previous_status: 'APPROVED', reason: 'transfer bounced' } });
    await expectBooks(server, { [player]: 5000n });
    // Each decision reaches the audit log with the status it changed, and a refused one does not.
    expect((await outboxRows(server, 'STAFF_ACTION_RECORDED', bounced)).map((row) => row.envelope)).toEqual([
      expect.objectContaining({
        brand_id: demo().id,
        payload: expect.objectContaining({ action: 'withdrawal_request.approve', before: { status: 'PENDING' }, after: { status: 'APPROVED' } }),
      }),
      expect.objectContaining({
        payload: expect.objectContaining({
          action: 'withdrawal_request.decline',
          target_type: 'withdrawal_request',
          target_id: bounced,
          before: { status: 'APPROVED' },
          after: { status: 'DECLINED', reason: 'transfer bounced' },
          staff_id: expect.any(String),
          request_id: expect.any(String),
        }),
      }),
    ]);

    const id = dataOf(await requestWithdrawal(player, '20.00')).requestWithdrawal.id;
    dataOf(await decide(APPROVE_WITHDRAWAL, id));
    const answers = await Promise.all([
      decide(DECLINE_WITHDRAWAL, id, demo(), 'transfer bounced'),
      decide(DECLINE_WITHDRAWAL, id, demo(), 'transfer bounced'),
      decide(MARK_WITHDRAWAL_PAID, id),
    ]);
    // One decision wins: declined (released once) or paid (nothing released), never both.
    expect(answers.filter((answer) => !answer.body.errors)).toHaveLength(1);
    const status = (await server.deps.prisma.withdrawalRequest.findUniqueOrThrow({ where: { id } })).status;
    const releases = await entriesOf(server, `withdrawal.release:${id}`);
    expect(releases).toHaveLength(status === 'DECLINED' ? 1 : 0);
    expect(await outboxRows(server, 'WITHDRAW_DECLINED', id)).toHaveLength(status === 'DECLINED' ? 1 : 0);
    await expectBooks(server, { [player]: status === 'DECLINED' ? 5000n : 3000n });
  });

  it('declining releases the held amount once, with the reason on the ledger', async () => {
    const player = randomUUID();
    const id = await pendingWithdrawal(player, 5000n, '20.00');
    await expectBooks(server, { [player]: 3000n });
    const declined = dataOf(await decide<{ declineWithdrawal: WithdrawalView }>(DECLINE_WITHDRAWAL, id, demo(), 'account check')).declineWithdrawal;
    expect(declined).toMatchObject({ status: 'DECLINED', reason: 'account check' });
    const [release] = await entriesOf(server, `withdrawal.release:${id}`);
    expect(release).toMatchObject({ kind: 'WITHDRAWAL_RELEASE', amount: 2000n, reason: 'account check' });
    const [event, ...more] = await outboxRows(server, 'WITHDRAW_DECLINED', id);
    expect(more).toEqual([]);
    expect(event!.brandId).toBe(demo().id);
    expect(event!.envelope).toMatchObject({
      brand_id: demo().id,
      payload: { request_id: id, player_id: player, amount_minor: '2000', ledger_entry_id: release!.id, balance_after_minor: '5000', previous_status: 'PENDING', reason: 'account check' },
    });
    const before = await writeCounts(server);
    expect(errorOf(await decide(DECLINE_WITHDRAWAL, id)).code).toBe('CONFLICT');
    expect(errorOf(await decide(APPROVE_WITHDRAWAL, id)).code).toBe('CONFLICT');
    expect(errorOf(await decide(MARK_WITHDRAWAL_PAID, id)).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    expect(await outboxRows(server, 'WITHDRAW_APPROVED', id)).toEqual([]);
    await expectBooks(server, { [player]: 5000n });
  });

  it('declines racing each other release once', async () => {
    const player = randomUUID();
    const id = await pendingWithdrawal(player, 5000n, '20.00');
    const answers = await Promise.all(Array.from({ length: 6 }, () => decide(DECLINE_WITHDRAWAL, id)));
    expect(answers.filter((answer) => !answer.body.errors)).toHaveLength(1);
    expect(await outboxRows(server, 'WITHDRAW_DECLINED', id)).toHaveLength(1);
    await expectBooks(server, { [player]: 5000n });
  });

  it('marks paid only after APPROVED, once', async () => {
    const player = randomUUID();
    const id = await pendingWithdrawal(player, 5000n, '20.00');
    expect(errorOf(await decide(MARK_WITHDRAWAL_PAID, id)).code).toBe('CONFLICT');
    dataOf(await decide(APPROVE_WITHDRAWAL, id));
    const paid = dataOf(await decide<{ markWithdrawalPaid: WithdrawalView }>(MARK_WITHDRAWAL_PAID, id)).markWithdrawalPaid;
    expect(paid.status).toBe('PAID');
    expect(paid.paidAt).not.toBeNull();
    // Who approved and who paid out are both kept.
    const row = await server.deps.prisma.withdrawalRequest.findUniqueOrThrow({ where: { id } });
    expect(row.decidedBy).toMatch(/^staff:/);
    expect(row.paidBy).toMatch(/^staff:/);
    expect(errorOf(await decide(MARK_WITHDRAWAL_PAID, id)).code).toBe('CONFLICT');
    expect(errorOf(await decide(DECLINE_WITHDRAWAL, id)).code).toBe('CONFLICT');
    await expectBooks(server, { [player]: 3000n });
  });

  it('is NOT_FOUND for unknown, malformed, and other-brand withdrawals', async () => {
    const acmePlayer = randomUUID();
    await fund(call, acme(), acmePlayer, 25000n);
    const acmeId = dataOf(await requestWithdrawal(acmePlayer, '10000', undefined, acme())).requestWithdrawal.id;
    for (const operation of [APPROVE_WITHDRAWAL, DECLINE_WITHDRAWAL, MARK_WITHDRAWAL_PAID]) {
      expect(errorOf(await decide(operation, randomUUID())).code).toBe('NOT_FOUND');
      expect(errorOf(await decide(operation, 'nope')).code).toBe('NOT_FOUND');
      expect(errorOf(await decide(operation, acmeId, demo())).code).toBe('NOT_FOUND');
    }
    expect(await server.deps.prisma.withdrawalRequest.findUniqueOrThrow({ where: { id: acmeId } })).toMatchObject({ status: 'PENDING' });
    await expectBooks(server, { [acmePlayer]: 15000n });
  });
});

describe('adjustBalance (staff)', () => {
  const adjust = (input: Record<string, unknown>, brand = demo()) => server.graphql<{ adjustBalance: Record<string, unknown> }>(ADJUST_BALANCE, { input }, asStaff(brand));
  /** Staff adjust wallets that exist on their brand: a player holding 10.00 on demo. */
  const demoPlayer = async () => {
    const player = randomUUID();
    await fund(call, demo(), player, 1000n);
    return player;
  };

  it('credits and debits by sign, with the reason on the ledger entry', async () => {
    const player = await demoPlayer();
    const credited = dataOf(await adjust({ playerId: player, amount: '15.00', reason: 'goodwill', idempotencyKey: `adj-${player}-1` })).adjustBalance;
    expect(credited).toMatchObject({ kind: 'ADJUSTMENT', amount: '15.00', balanceAfter: '25.00', reason: 'goodwill' });
    const debited = dataOf(await adjust({ playerId: player, amount: '-2.50', reason: 'correction', idempotencyKey: `adj-${player}-2` })).adjustBalance;
    expect(debited).toMatchObject({ kind: 'ADJUSTMENT', amount: '-2.50', balanceAfter: '22.50', reason: 'correction' });
    await expectBooks(server, { [player]: 2250n });
  });

  it('is idempotent by key: the same key and amount return the first entry and move nothing', async () => {
    const player = await demoPlayer();
    const input = { playerId: player, amount: '3.00', reason: 'promo fix', idempotencyKey: `adj-${player}` };
    const first = dataOf(await adjust(input)).adjustBalance;
    const again = dataOf(await adjust(input)).adjustBalance;
    expect(again).toEqual(first);
    expect(await entriesOf(server, `adjustment:${demo().id}:adj-${player}`)).toHaveLength(1);
    await expectBooks(server, { [player]: 1300n });
    const account = await server.deps.prisma.walletAccount.findFirstOrThrow({ where: { playerId: player } });
    expect((await outboxRows(server, 'STAFF_ACTION_RECORDED', account.id)).map((row) => (row.envelope as { payload: unknown }).payload)).toEqual([
      expect.objectContaining({
        action: 'wallet_account.adjust',
        before: { balance_minor: '1000', currency: 'USD' },
        after: { balance_minor: '1300', currency: 'USD', ledger_entry_id: first.id, reason: 'promo fix' },
      }),
    ]);
  });

  it('refuses the key with another amount (CONFLICT), a debit below zero (INSUFFICIENT_FUNDS), a blank reason and zero', async () => {
    const player = await demoPlayer();
    dataOf(await adjust({ playerId: player, amount: '3.00', reason: 'r', idempotencyKey: `adj-${player}` }));
    const before = await writeCounts(server);
    expect(errorOf(await adjust({ playerId: player, amount: '4.00', reason: 'r', idempotencyKey: `adj-${player}` })).code).toBe('CONFLICT');
    expect(errorOf(await adjust({ playerId: player, amount: '-13.01', reason: 'r', idempotencyKey: `adj-${player}-neg` }))).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      extensions: { balance: '13.00' },
    });
    expect(errorOf(await adjust({ playerId: player, amount: '1.00', reason: '  ', idempotencyKey: `adj-${player}-blank` })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await adjust({ playerId: player, amount: '-0', reason: 'r', idempotencyKey: `adj-${player}-zero` })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await adjust({ playerId: player, amount: '+1.00', reason: 'r', idempotencyKey: `adj-${player}-plus` })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await adjust({ playerId: 'someone', amount: '1.00', reason: 'r', idempotencyKey: `adj-${player}-id` })).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await adjust({ playerId: player, amount: '1.00', reason: 'r', idempotencyKey: 'spaces are not allowed' })).code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 1300n });
  });

  it('cannot move money of a player whose account belongs to another brand, nor tell it from an unknown player', async () => {
    const player = randomUUID();
    await fund(call, acme(), player, 5000n);
    const before = await writeCounts(server);
    const credit = await adjust({ playerId: player, amount: '1.00', reason: 'r', idempotencyKey: `adj-${player}-c` });
    expect(errorOf(credit).code).toBe('NOT_FOUND');
    const debit = await adjust({ playerId: player, amount: '-1.00', reason: 'r', idempotencyKey: `adj-${player}-d` });
    expect(errorOf(debit).code).toBe('NOT_FOUND');
    expect(await writeCounts(server)).toEqual(before);
    await expectBooks(server, { [player]: 5000n });
  });

  it('opens no wallet for an id without one (it may be another brand\'s player, who would be locked out of their own)', async () => {
    const stranger = randomUUID();
    const before = await writeCounts(server);
    expect(errorOf(await adjust({ playerId: stranger, amount: '1.00', reason: 'r', idempotencyKey: `adj-${stranger}-open` })).code).toBe('NOT_FOUND');
    expect(errorOf(await adjust({ playerId: '------------------------------------', amount: '1.00', reason: 'r', idempotencyKey: `adj-${stranger}-dashes` })).code).toBe('BAD_USER_INPUT');
    expect(await writeCounts(server)).toEqual(before);
    expect(await server.deps.prisma.walletAccount.findUnique({ where: { playerId: stranger } })).toBeNull();
    // The player's own brand can still open and fund it.
    await fund(call, acme(), stranger, 700n);
    await expectBooks(server, { [stranger]: 700n });
  });
});
