/**
 * Reconciliation's two wallet routes, called as recon_worker calls them (kit ServiceClient, a
 * service token, real HTTP): `pendingDeposits`, the candidates of a bank text, and
 * `depositApproval`, which approves a request on the text's cause exactly like a staff approval.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletRoutes } from '@rgb/contracts';
import { type BrandRef, ServiceClient } from '@rgb/kit';
import { signedIn, type SeededTestSubgraph } from '@rgb/kit/testing';
import {
  APPROVE_DEPOSIT,
  asPlayer,
  asStaff,
  dataOf,
  DECLINE_DEPOSIT,
  type DepositView,
  entriesOf,
  errorOf,
  expectBooks,
  internalCall,
  outboxRows,
  REQUEST_DEPOSIT,
  serviceClient,
  startWallet,
  writeCounts,
} from './helpers';

let server: SeededTestSubgraph;
let recon: ServiceClient;
beforeAll(async () => {
  server = await startWallet();
  recon = new ServiceClient({ baseUrl: server.url, tokens: server.deps.serviceTokens, serviceName: 'recon_worker' });
});
afterAll(async () => {
  await recon?.close();
  await server?.close();
});

const demo = () => server.brands.demo;
const acme = () => server.brands.acme;

/** A deposit request made by a new player through GraphQL, as players make them. */
async function pendingDeposit(amount: string, brand = acme()): Promise<{ id: string; player: string }> {
  const player = randomUUID();
  const request = dataOf(
    await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount, depositorName: '홍길동' } }, asPlayer(brand, player)),
  ).requestDeposit;
  return { id: request.id, player };
}

const approve = (requestId: string, amount: bigint, causedBy: string, brand: BrandRef = acme()) =>
  recon.call(walletRoutes.depositApproval, { brand, requestId, amount, causedBy });

const approveAsStaff = (id: string, staffId: string) =>
  server.graphql<{ approveDeposit: DepositView }>(APPROVE_DEPOSIT, { id }, signedIn(acme(), 'staff', staffId));

const requestRow = (id: string) => server.deps.prisma.depositRequest.findUniqueOrThrow({ where: { id } });

describe('pendingDeposits', () => {
  /** Each test lists requests of a day of its own, so other tests' requests never fall in its range. */
  let days = 0;
  const freshDay = () => Date.UTC(2031, 0, 1 + days++);

  /** A request written as it would stand at `createdAt` (the GraphQL path stamps the time of the call). */
  async function stored(brand: BrandRef, amount: bigint, createdAt: Date, status: 'PENDING' | 'APPROVED' | 'DECLINED' = 'PENDING') {
    return server.deps.prisma.depositRequest.create({
      data: { brandId: brand.id, playerId: randomUUID(), amount, currency: brand.currency, depositorName: `name-${randomUUID().slice(0, 8)}`, status, createdAt },
    });
  }
  const wire = (request: Awaited<ReturnType<typeof stored>>) => ({
    id: request.id,
    player_id: request.playerId,
    depositor_name: request.depositorName,
    created_at: request.createdAt.toISOString(),
  });
  const candidates = (brand: BrandRef, amount: bigint, createdFrom: Date, createdTo: Date) =>
    recon.value(walletRoutes.pendingDeposits, { brandId: brand.id, amount, createdFrom, createdTo });

  it('lists the brand PENDING requests of exactly the amount made within the range, its bounds included, oldest first', async () => {
    const day = freshDay();
    const at = (minutes: number, ms = 0) => new Date(day + minutes * 60_000 + ms);
    const from = at(0);
    const to = at(60);
    // Stored out of order: the answer's order is the creation times', then the ids'.
    const late = await stored(acme(), 50_000n, to);
    const middle = await stored(acme(), 50_000n, at(30));
    const middleTwin = await stored(acme(), 50_000n, at(30));
    const first = await stored(acme(), 50_000n, from);
    await stored(acme(), 50_000n, at(0, -1));
    await stored(acme(), 50_000n, at(60, 1));
    await stored(acme(), 50_001n, at(10));
    await stored(acme(), 49_999n, at(10));
    await stored(acme(), 50_000n, at(20), 'APPROVED');
    await stored(acme(), 50_000n, at(20), 'DECLINED');
    const demoRequest = await stored(demo(), 50_000n, at(20));

    const [twinA, twinB] = [middle, middleTwin].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await candidates(acme(), 50_000n, from, to)).toEqual({ requests: [first, twinA!, twinB!, late].map(wire), truncated: false });
    expect(await candidates(demo(), 50_000n, from, to)).toEqual({ requests: [wire(demoRequest)], truncated: false });
    expect(await candidates(acme(), 50_000n, at(61), at(120))).toEqual({ requests: [], truncated: false });
  });

  it('answers at most 50, the oldest, saying whether more are pending', async () => {
    const day = freshDay();
    const made = [];
    for (let second = 50; second >= 0; second -= 1) made.push(await stored(acme(), 70_000n, new Date(day + second * 1_000)));
    const oldest = made.reverse().slice(0, 50);
    expect(await candidates(acme(), 70_000n, new Date(day), new Date(day + 3_600_000))).toEqual({ requests: oldest.map(wire), truncated: true });
    // Exactly 50: the page is all of them.
    expect(await candidates(acme(), 70_000n, new Date(day), new Date(day + 49_000))).toEqual({ requests: oldest.map(wire), truncated: false });
  });

  it('refuses a query its contract refuses with BAD_USER_INPUT', async () => {
    const call = await serviceClient(server, 'recon_worker');
    for (const query of [
      `brand_id=${acme().id}&amount_minor=12.5&created_from=2031-01-01T00:00:00Z&created_to=2031-01-01T01:00:00Z`,
      `brand_id=${acme().id}&amount_minor=1000&created_from=yesterday&created_to=2031-01-01T01:00:00Z`,
      `brand_id=acme&amount_minor=1000&created_from=2031-01-01T00:00:00Z&created_to=2031-01-01T01:00:00Z`,
    ]) {
      const response = await call(`deposit-requests/pending?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('depositApproval', () => {
  it('approves a pending request on its cause: one DEPOSIT credit, one DEPOSIT_APPROVED, decided by the cause, no staff action', async () => {
    const { id, player } = await pendingDeposit('50000');
    const cause = `recon:${randomUUID()}`;
    expect(await approve(id, 50_000n, cause)).toEqual({ ok: true, value: { request_id: id, player_id: player, duplicate: false } });

    const request = await requestRow(id);
    expect(request).toMatchObject({ status: 'APPROVED', decidedBy: cause });
    expect(request.decidedAt).not.toBeNull();
    const [entry, ...moreEntries] = await entriesOf(server, `deposit.approve:${id}`);
    expect(moreEntries).toEqual([]);
    expect(entry).toMatchObject({
      kind: 'DEPOSIT',
      amount: 50_000n,
      balanceAfter: 50_000n,
      playerId: player,
      brandId: acme().id,
      reference: `deposit_request:${id}`,
      causedBy: cause,
    });
    const [event, ...moreEvents] = await outboxRows(server, 'DEPOSIT_APPROVED', id);
    expect(moreEvents).toEqual([]);
    expect(event!.brandId).toBe(acme().id);
    expect(event!.envelope).toMatchObject({
      brand_id: acme().id,
      aggregate_type: 'deposit_request',
      payload: { request_id: id, player_id: player, amount_minor: '50000', balance_after_minor: '50000', ledger_entry_id: entry!.id, currency: 'KRW' },
    });
    expect(await outboxRows(server, 'STAFF_ACTION_RECORDED', id)).toEqual([]);
    await expectBooks(server, { [player]: 50_000n });
  });

  it('answers the same request and cause again as a duplicate that moves nothing', async () => {
    const { id, player } = await pendingDeposit('30000');
    const cause = `recon:${randomUUID()}`;
    expect(await approve(id, 30_000n, cause)).toMatchObject({ ok: true, value: { duplicate: false } });
    const before = await writeCounts(server);
    for (let repeat = 0; repeat < 2; repeat += 1) {
      expect(await approve(id, 30_000n, cause)).toEqual({ ok: true, value: { request_id: id, player_id: player, duplicate: true } });
    }
    expect(await writeCounts(server)).toEqual(before);
    expect(await entriesOf(server, `deposit.approve:${id}`)).toHaveLength(1);
    expect(await outboxRows(server, 'DEPOSIT_APPROVED', id)).toHaveLength(1);
    await expectBooks(server, { [player]: 30_000n });
  });

  it('refuses with CONFLICT, changing nothing: approved on another cause or by staff, declined, or of another amount', async () => {
    const onOtherCause = await pendingDeposit('20000');
    const firstCause = `recon:${randomUUID()}`;
    expect((await approve(onOtherCause.id, 20_000n, firstCause)).ok).toBe(true);
    const byStaff = await pendingDeposit('20000');
    const staffId = randomUUID();
    dataOf(await approveAsStaff(byStaff.id, staffId));
    const declined = await pendingDeposit('20000');
    dataOf(await server.graphql(DECLINE_DEPOSIT, { id: declined.id, reason: 'no such transfer' }, asStaff(acme())));
    const pending = await pendingDeposit('20000');

    const before = await writeCounts(server);
    const cause = `recon:${randomUUID()}`;
    const refusals = [
      [onOtherCause.id, 20_000n, cause, 'the deposit request is APPROVED, not PENDING'],
      // Its own cause with another amount is no repeat of its approval.
      [onOtherCause.id, 20_001n, firstCause, 'the deposit request is of 20000 minor units, not 20001'],
      [byStaff.id, 20_000n, cause, 'the deposit request is APPROVED, not PENDING'],
      [declined.id, 20_000n, cause, 'the deposit request is DECLINED, not PENDING'],
      [pending.id, 19_999n, cause, 'the deposit request is of 20000 minor units, not 19999'],
      [pending.id, 200_000n, cause, 'the deposit request is of 20000 minor units, not 200000'],
    ] as const;
    for (const [id, amount, causedBy, message] of refusals) {
      expect(await approve(id, amount, causedBy)).toEqual({ ok: false, status: 409, refusal: { code: 'CONFLICT', message } });
    }
    // And staff cannot approve what reconciliation approved.
    expect(errorOf(await approveAsStaff(onOtherCause.id, randomUUID())).code).toBe('CONFLICT');
    expect(await writeCounts(server)).toEqual(before);
    expect(await requestRow(onOtherCause.id)).toMatchObject({ status: 'APPROVED', decidedBy: firstCause });
    expect(await requestRow(byStaff.id)).toMatchObject({ status: 'APPROVED', decidedBy: `staff:${staffId}` });
    expect(await requestRow(declined.id)).toMatchObject({ status: 'DECLINED' });
    expect(await requestRow(pending.id)).toMatchObject({ status: 'PENDING', decidedBy: null });
    await expectBooks(server, { [onOtherCause.player]: 20_000n, [byStaff.player]: 20_000n, [declined.player]: null, [pending.player]: null });

    // The refused amount left the request as it was: the amount it is of approves it.
    expect(await approve(pending.id, 20_000n, cause)).toMatchObject({ ok: true, value: { duplicate: false } });
    await expectBooks(server, { [pending.player]: 20_000n });
  });

  it('is NOT_FOUND for an unknown request and another brand one; a request id that is no uuid is refused by the contract', async () => {
    const acmeRequest = await pendingDeposit('10000');
    const before = await writeCounts(server);
    const cause = `recon:${randomUUID()}`;
    expect(await approve(randomUUID(), 10_000n, cause)).toEqual({ ok: false, status: 404, refusal: { code: 'NOT_FOUND', message: 'no such deposit request' } });
    expect(await approve(acmeRequest.id, 10_000n, cause, demo())).toEqual({ ok: false, status: 404, refusal: { code: 'NOT_FOUND', message: 'no such deposit request' } });
    expect(await approve('not-a-uuid', 10_000n, cause)).toMatchObject({ ok: false, status: 400, refusal: { code: 'BAD_USER_INPUT' } });
    expect(await writeCounts(server)).toEqual(before);
    expect(await requestRow(acmeRequest.id)).toMatchObject({ status: 'PENDING' });
    await expectBooks(server, { [acmeRequest.player]: null });
  });

  it('refuses a brand named in another currency than the request (BAD_USER_INPUT): its amount would be of another money', async () => {
    const { id, player } = await pendingDeposit('50000');
    const before = await writeCounts(server);
    expect(await approve(id, 50_000n, `recon:${randomUUID()}`, { ...acme(), currency: 'USD' })).toEqual({
      ok: false,
      status: 400,
      refusal: { code: 'BAD_USER_INPUT', message: 'the deposit request is in KRW, not USD' },
    });
    expect(await writeCounts(server)).toEqual(before);
    expect(await requestRow(id)).toMatchObject({ status: 'PENDING' });
    await expectBooks(server, { [player]: null });
  });

  it('credits once for 30 concurrent approvals on one cause: one moves, 29 answer duplicates', async () => {
    const { id, player } = await pendingDeposit('40000');
    const cause = `recon:${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 30 }, () => approve(id, 40_000n, cause)));
    const values = answers.map((answer) => (answer.ok ? answer.value : answer));
    expect(values.filter((value) => 'duplicate' in value && !value.duplicate)).toEqual([{ request_id: id, player_id: player, duplicate: false }]);
    expect(values.filter((value) => 'duplicate' in value && value.duplicate)).toEqual(Array(29).fill({ request_id: id, player_id: player, duplicate: true }));
    expect(await entriesOf(server, `deposit.approve:${id}`)).toHaveLength(1);
    expect(await outboxRows(server, 'DEPOSIT_APPROVED', id)).toHaveLength(1);
    expect(await requestRow(id)).toMatchObject({ status: 'APPROVED', decidedBy: cause });
    await expectBooks(server, { [player]: 40_000n });
  });

  it('has one winner when reconciliation races staff: the other is a CONFLICT, credited once', async () => {
    for (let round = 0; round < 8; round += 1) {
      const { id, player } = await pendingDeposit('60000');
      const cause = `recon:${randomUUID()}`;
      const staffId = randomUUID();
      const [byRecon, byStaff] = await Promise.all([approve(id, 60_000n, cause), approveAsStaff(id, staffId)]);
      const reconWon = byRecon.ok;
      if (reconWon) {
        expect(byRecon.value).toEqual({ request_id: id, player_id: player, duplicate: false });
        expect(errorOf(byStaff).code).toBe('CONFLICT');
      } else {
        expect(byRecon).toEqual({ ok: false, status: 409, refusal: { code: 'CONFLICT', message: 'the deposit request is APPROVED, not PENDING' } });
        expect(dataOf(byStaff).approveDeposit).toMatchObject({ id, status: 'APPROVED' });
      }
      expect(await requestRow(id)).toMatchObject({ status: 'APPROVED', decidedBy: reconWon ? cause : `staff:${staffId}` });
      expect(await entriesOf(server, `deposit.approve:${id}`)).toMatchObject([{ causedBy: reconWon ? cause : `staff:${staffId}` }]);
      expect(await outboxRows(server, 'DEPOSIT_APPROVED', id)).toHaveLength(1);
      expect(await outboxRows(server, 'STAFF_ACTION_RECORDED', id)).toHaveLength(reconWon ? 0 : 1);
      await expectBooks(server, { [player]: 60_000n });
    }
  });

  it('refuses a caller without a service token (401), approving and listing nothing', async () => {
    const { id, player } = await pendingDeposit('10000');
    const before = await writeCounts(server);
    const body = { brand: { id: acme().id, code: acme().code, currency: acme().currency }, request_id: id, amount_minor: '10000', caused_by: 'recon:x' };
    for (const authorization of [null, `Bearer ${await server.deps.userTokens.signAccess({ audience: 'staff', subject: randomUUID(), brandId: acme().id, sessionId: randomUUID() })}`]) {
      expect((await internalCall(server, 'deposit-requests/approve', body, { authorization })).status).toBe(401);
      const query = `brand_id=${acme().id}&amount_minor=10000&created_from=2020-01-01T00:00:00Z&created_to=2040-01-01T00:00:00Z`;
      expect((await internalCall(server, `deposit-requests/pending?${query}`, undefined, { authorization })).status).toBe(401);
    }
    expect(await writeCounts(server)).toEqual(before);
    expect(await requestRow(id)).toMatchObject({ status: 'PENDING' });
    await expectBooks(server, { [player]: null });
  });
});
