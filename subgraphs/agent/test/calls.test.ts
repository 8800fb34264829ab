/**
 * The calls of agents' money as performers see them, over real HTTP, PostgreSQL and the real
 * wallet and promotion (or a fake in front of them): a call never answered stays PENDING however
 * often it is tried, and is applied once when answered; two performers of one call (a lease that
 * ran out) never both settle it or count its fault, and the one that lost answers what the winner
 * stored. agent_worker is stopped here: the test performs the calls itself.
 */
import { randomUUID } from 'node:crypto';
import { ServiceClient } from '@rgb/kit';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallExecutor } from '../src/calls';
import { moneySettlers } from '../src/money-settlers';
import { asAgent, expectAgentBooks, type FakeService, fakeService, fund, GRANT, REQUEST_WITHDRAWAL, refusal, type Row } from './money-support';
import { type AgentPlatform, newAgent, startAgentPlatform } from './support';

let platform: AgentPlatform;
beforeAll(async () => {
  platform = await startAgentPlatform({}, { money: true });
  await platform.worker.close();
}, 60_000);
afterAll(async () => {
  // Its worker is closed already.
  platform.worker.close = async () => undefined;
  await platform?.close();
});
const demo = () => platform.brands.demo;

/** A performer of calls sending to `wallet` and `promotion` (the real ones unless given), counting the faults it records. */
function performer({ wallet = platform.wallet!.url, promotion = platform.promotion!.url } = {}) {
  const tokens = platform.agent.deps.serviceTokens;
  const faults = { count: 0 };
  const calls = new CallExecutor({
    prisma: platform.prisma,
    wallet: new ServiceClient({ baseUrl: wallet, tokens, serviceName: 'agent_worker' }),
    promotion: new ServiceClient({ baseUrl: promotion, tokens, serviceName: 'agent_worker' }),
    log: platform.agent.deps.log,
    retryMs: 100,
    settlers: moneySettlers,
    onFault: () => faults.count++,
  });
  return { calls, faults };
}

/** Makes the call due now: its next attempt, or the end of a performer's lease, has come. */
const due = (id: string) => platform.prisma.agentOutgoingCall.update({ where: { id }, data: { nextAttemptAt: new Date(Date.now() - 1_000) } });

/** Forwards to the real wallet, which applies the request; the answer is lost (502). */
const lossyWallet = () =>
  fakeService(async (body, request) => {
    await fetch(`${platform.wallet!.url}${request.url}`, {
      method: 'POST',
      headers: { authorization: request.headers.authorization!, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return [502, { error: 'bad gateway' }];
  });

describe('agent outgoing calls', () => {
  let fakes: FakeService[] = [];
  const fake = async (service: Promise<FakeService>) => {
    fakes.push(await service);
    return fakes.at(-1)!;
  };
  afterAll(async () => {
    for (const service of fakes) await service.close();
    fakes = [];
  });

  it('keeps a hold the wallet applied but never answered PENDING however often it is tried, at most a minute apart, then applies it once', async () => {
    const agent = await newAgent(platform);
    await fund(platform, agent, '100.00');
    const lossy = await fake(lossyWallet());
    const api = await platform.startAgentApi({ WALLET_URL: lossy.url });
    const holding = (await api.graphql<{ requestAgentWithdrawal: Row }>(REQUEST_WITHDRAWAL, { input: { amount: '30.00' } }, asAgent(agent, demo()))).body.data!.requestAgentWithdrawal;
    expect(holding.status).toBe('HOLDING');
    const call = await platform.prisma.agentOutgoingCall.findFirstOrThrow({ where: { subjectId: holding.id } });
    const { calls, faults } = performer({ wallet: lossy.url });
    for (let attempt = 0; attempt < 25; attempt++) {
      await due(call.id);
      expect(await calls.performDue()).toEqual({ performed: 1, pending: false });
    }
    const after = await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(after).toMatchObject({ status: 'PENDING', attempts: 26, claimedBy: null, lastError: expect.stringContaining('502') });
    expect(faults.count).toBe(25);
    // Doubling from 100 ms has long passed the cap: the next attempt is a minute away, not later.
    expect(after.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(55_000);
    expect(after.nextAttemptAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(lossy.bodies.map((body) => body.key)).toEqual(Array.from({ length: 26 }, () => `agent-call:${call.id}`));
    // The wallet answers again: the hold it applied 26 times under one key is held once.
    await due(call.id);
    expect(await performer().calls.performDue()).toEqual({ performed: 1, pending: false });
    expect(await platform.prisma.agentWithdrawal.findUniqueOrThrow({ where: { id: holding.id } })).toMatchObject({ status: 'PENDING' });
    expect(await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({ status: 'DONE' });
    await expectAgentBooks(platform, { [agent.id]: 7_000n });
  }, 30_000);

  it('lets only the claim holding a call record its fault: a performer whose lease ran out counts nothing', async () => {
    const agent = await newAgent(platform);
    const subjectId = randomUUID();
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    // The first attempt hangs until released; every attempt gets no answer (503).
    const wallet = await fake(fakeService(async () => {
      if (wallet.bodies.length === 1) await firstHeld;
      return [503, { error: 'unavailable' }];
    }));
    const id = randomUUID();
    await platform.prisma.agentOutgoingCall.create({
      data: {
        id,
        brandId: demo().id,
        kind: 'WALLET_MOVEMENT',
        subjectType: 'balance_adjustment',
        subjectId,
        payload: { brand: { id: demo().id, code: demo().code, currency: 'USD' }, agent_id: agent.id, kind: 'ADJUSTMENT', amount_minor: '1', key: `agent-call:${id}`, reference: 'test', caused_by: 'test', reason: 'test' },
        nextAttemptAt: new Date(Date.now() - 1_000),
      },
    });
    const [slow, fast] = [performer({ wallet: wallet.url }), performer({ wallet: wallet.url })];
    const slowRun = slow.calls.performDue();
    await waitFor('the first attempt sent', async () => wallet.bodies.length === 1);
    // Its lease runs out while it waits: another performer claims the call and gets no answer first.
    await due(id);
    expect(await fast.calls.performDue()).toEqual({ performed: 1, pending: false });
    releaseFirst();
    expect(await slowRun).toEqual({ performed: 1, pending: false });
    expect(await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect([slow.faults.count, fast.faults.count]).toEqual([0, 1]);
    await platform.prisma.agentOutgoingCall.delete({ where: { id } });
  });

  it('answers the performer that lost a call to another claim what the winner stored: REFUSED with its refusal, so a recycle answers CONFLICT', async () => {
    const agent = await newAgent(platform);
    await fund(platform, agent, '20.00');
    const playerId = randomUUID();
    // Referred as agent_worker (stopped here) projects it.
    await platform.prisma.agentPlayer.create({ data: { playerId, brandId: demo().id, agentId: agent.id, registeredAt: new Date() } });
    const granted = (await platform.agent.graphql<{ grantAgentCoupon: Row }>(GRANT, { input: { playerId, amount: '5.00' } }, asAgent(agent, demo()))).body.data!.grantAgentCoupon;
    expect(granted.status).toBe('GRANTED');
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    // Promotion refuses the recycle (redeemed meanwhile), the first attempt's answer arriving last.
    const promotion = await fake(fakeService(async () => {
      if (promotion.bodies.length === 1) await firstHeld;
      return refusal('CONFLICT', 'the coupon was redeemed');
    }));
    await platform.prisma.agentCouponGrant.update({ where: { id: granted.id }, data: { status: 'RECYCLING' } });
    const id = randomUUID();
    await platform.prisma.agentOutgoingCall.create({
      data: {
        id,
        brandId: demo().id,
        kind: 'COUPON_RECYCLE',
        subjectType: 'coupon_grant',
        subjectId: granted.id,
        payload: { brand: { id: demo().id, code: demo().code, currency: 'USD' }, grant_id: granted.id },
        nextAttemptAt: new Date(Date.now() + 60_000),
      },
    });
    const [first, second] = [performer({ promotion: promotion.url }), performer({ promotion: promotion.url })];
    const firstOutcome = first.calls.perform(id);
    await waitFor('the first attempt sent', async () => promotion.bodies.length === 1);
    await due(id);
    expect(await second.calls.performDue()).toEqual({ performed: 1, pending: false });
    releaseFirst();
    expect(await firstOutcome).toEqual({ status: 'REFUSED', refusal: { code: 'CONFLICT', message: 'the coupon was redeemed' } });
    expect(await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'REFUSED', refusal: { code: 'CONFLICT', message: 'the coupon was redeemed' } });
    expect(await platform.prisma.agentCouponGrant.findUniqueOrThrow({ where: { id: granted.id } })).toMatchObject({ status: 'GRANTED' });
    // A later reader of the call answers the same.
    expect(await first.calls.perform(id)).toEqual({ status: 'REFUSED', refusal: { code: 'CONFLICT', message: 'the coupon was redeemed' } });
    await expectAgentBooks(platform, { [agent.id]: 1_500n });
  });
});
