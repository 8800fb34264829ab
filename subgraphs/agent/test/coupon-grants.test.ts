/**
 * Coupons agents grant their players over real HTTP, PostgreSQL and Redis, charged and refunded
 * by the real wallet and issued and recycled by the real promotion: charged exactly once under
 * concurrent grants, never past the balance, recycled only unredeemed and refunded once, and a
 * grant stopped between its charge and its issue completed by agent_worker.
 */
import { randomUUID } from 'node:crypto';
import { walletRoutes } from '@rgb/contracts';
import { outboxTransaction } from '@rgb/events';
import { ServiceClient } from '@rgb/kit';
import { firstError, signedIn, waitFor } from '@rgb/kit/testing';
import { writeCall } from '../src/calls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAgent, eventsOf, expectAgentBooks, fund, GRANT, RECYCLE, type Row } from './money-support';
import { type AgentPlatform, downUrl, newAgent, playerRegistered, publishPlayerEvents, startAgentPlatform } from './support';

let platform: AgentPlatform;
beforeAll(async () => {
  platform = await startAgentPlatform({}, { money: true });
}, 60_000);
afterAll(() => platform?.close());

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;
const REDEEM = 'mutation ($code: String!) { redeemCoupon(code: $code) { status amount } }';

/** A new agent on demo and acme with `amount` on demo, and a player it referred on demo. */
async function agentWithPlayer(amount = '100.00') {
  const agent = await newAgent(platform, { brands: [demo(), acme()] });
  const player = randomUUID();
  await publishPlayerEvents(platform, playerRegistered(demo(), agent.id, player));
  await fund(platform, agent, amount);
  return { agent, player };
}

const grant = (agent: { id: string }, input: Record<string, unknown>, server = platform.agent, brand = demo()) =>
  server.graphql<{ grantAgentCoupon: Row }>(GRANT, { input }, asAgent(agent, brand));
const recycle = (agent: { id: string }, id: string, brand = demo()) => platform.agent.graphql<{ recycleAgentCoupon: Row }>(RECYCLE, { id }, asAgent(agent, brand));
const statusOf = async (id: string) => (await platform.prisma.agentCouponGrant.findUniqueOrThrow({ where: { id } })).status;

describe('agent coupon grants', () => {
  it('charges the agent, issues the coupon for its player with the code, and announces it once', async () => {
    const { agent, player } = await agentWithPlayer();
    const answer = await grant(agent, { playerId: player, amount: '5.00', validDays: 7 });
    const granted = answer.body.data!.grantAgentCoupon;
    expect(granted).toMatchObject({ status: 'GRANTED', amount: '5.00', currency: 'USD', rollingMultiplierBps: 0, player: { id: player } });
    expect(granted.code).toMatch(/^[A-Z0-9]{12}$/);
    expect(Date.parse(granted.validUntil as string) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    await expectAgentBooks(platform, { [agent.id]: 9_500n });
    expect(await eventsOf(platform, granted.id)).toEqual([
      ['AGENT_COUPON_GRANTED', { coupon_id: granted.id, agent_id: agent.id, player_id: player, code: granted.code, amount_minor: '500', currency: 'USD' }],
    ]);
    const campaign = await platform.prisma.couponCampaign.findUniqueOrThrow({ where: { agentGrantId: granted.id } });
    expect(campaign).toMatchObject({ amount: 500n, agentId: agent.id });
  });

  it('charges once for 30 concurrent grants with one key, all answering the same grant', async () => {
    const { agent, player } = await agentWithPlayer();
    const answers = await Promise.all(Array.from({ length: 30 }, () => grant(agent, { playerId: player, amount: '5.00', idempotencyKey: 'one-key' })));
    expect(answers.map((answer) => answer.body.errors)).toEqual(answers.map(() => undefined));
    const ids = new Set(answers.map((answer) => answer.body.data!.grantAgentCoupon.id));
    expect(ids.size).toBe(1);
    const id = [...ids][0]!;
    await waitFor('the grant issued', async () => (await statusOf(id)) === 'GRANTED');
    await expectAgentBooks(platform, { [agent.id]: 9_500n });
    expect((await eventsOf(platform, id)).map(([type]) => type)).toEqual(['AGENT_COUPON_GRANTED']);
    expect(firstError(await grant(agent, { playerId: player, amount: '6.00', idempotencyKey: 'one-key' }))?.code).toBe('CONFLICT');
  });

  it('answers CONFLICT to a key used again with other validDays, charging nothing more', async () => {
    const { agent, player } = await agentWithPlayer();
    const week = (await grant(agent, { playerId: player, amount: '5.00', validDays: 7, idempotencyKey: 'week' })).body.data!.grantAgentCoupon;
    const unlimited = (await grant(agent, { playerId: player, amount: '5.00', idempotencyKey: 'unlimited' })).body.data!.grantAgentCoupon;
    expect((await grant(agent, { playerId: player, amount: '5.00', validDays: 7, idempotencyKey: 'week' })).body.data?.grantAgentCoupon.id).toBe(week.id);
    expect((await grant(agent, { playerId: player, amount: '5.00', idempotencyKey: 'unlimited' })).body.data?.grantAgentCoupon.id).toBe(unlimited.id);
    for (const [validDays, idempotencyKey] of [[8, 'week'], [null, 'week'], [3, 'unlimited']] as const) {
      expect(firstError(await grant(agent, { playerId: player, amount: '5.00', validDays, idempotencyKey }))?.code).toBe('CONFLICT');
    }
    expect(await platform.prisma.agentCouponGrant.count({ where: { agentId: agent.id } })).toBe(2);
    await expectAgentBooks(platform, { [agent.id]: 9_000n });
  });

  it('grants exactly 10 of 30 concurrent grants on a balance for 10, refusing 20 with INSUFFICIENT_FUNDS', async () => {
    const { agent, player } = await agentWithPlayer('50.00');
    const answers = await Promise.all(Array.from({ length: 30 }, () => grant(agent, { playerId: player, amount: '5.00' })));
    const granted = answers.filter((answer) => answer.body.data?.grantAgentCoupon.status === 'GRANTED');
    const refused = answers.filter((answer) => firstError(answer)?.code === 'INSUFFICIENT_FUNDS');
    expect([granted.length, refused.length]).toEqual([10, 20]);
    expect(await platform.prisma.agentCouponGrant.count({ where: { agentId: agent.id } })).toBe(10);
    await expectAgentBooks(platform, { [agent.id]: 0n });
    expect(await platform.prisma.ledgerEntry.count({ where: { agentId: agent.id, kind: 'COUPON_GRANT' } })).toBe(10);
  });

  it('refuses a grant to a player it did not refer on the brand, bad amounts and days, and other audiences, changing nothing', async () => {
    const { agent, player } = await agentWithPlayer();
    const { agent: other, player: othersPlayer } = await agentWithPlayer();
    const onAcme = randomUUID();
    await publishPlayerEvents(platform, playerRegistered(acme(), agent.id, onAcme));
    const refusals = [
      await grant(agent, { playerId: othersPlayer, amount: '5.00' }),
      await grant(agent, { playerId: onAcme, amount: '5.00' }),
      await grant(agent, { playerId: randomUUID(), amount: '5.00' }),
      await grant(agent, { playerId: 'nobody', amount: '5.00' }),
      await grant(agent, { playerId: player, amount: '5.001' }),
      await grant(agent, { playerId: player, amount: '-5.00' }),
      await grant(agent, { playerId: player, amount: '5.00', validDays: 0 }),
      await platform.agent.graphql(GRANT, { input: { playerId: player, amount: '5.00' } }, signedIn(demo(), 'player', player)),
    ];
    expect(refusals.map((answer) => firstError(answer)?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'FORBIDDEN']);
    expect(await platform.prisma.agentCouponGrant.count({ where: { agentId: { in: [agent.id, other.id] } } })).toBe(0);
    await expectAgentBooks(platform, { [agent.id]: 10_000n, [other.id]: 10_000n });
  });

  it('recycles an unredeemed coupon and refunds the agent once; another agent cannot, and a second recycle is CONFLICT', async () => {
    const { agent, player } = await agentWithPlayer();
    const other = await newAgent(platform);
    const granted = (await grant(agent, { playerId: player, amount: '5.00' })).body.data!.grantAgentCoupon;
    expect(firstError(await recycle(other, granted.id))?.code).toBe('NOT_FOUND');
    expect(firstError(await recycle(agent, granted.id, acme()))?.code).toBe('NOT_FOUND');
    const recycled = await recycle(agent, granted.id);
    expect(recycled.body.data?.recycleAgentCoupon.status).toBe('RECYCLED');
    expect(firstError(await recycle(agent, granted.id))).toEqual({ code: 'CONFLICT', message: `coupon grant ${granted.id} is RECYCLED, not GRANTED` });
    await expectAgentBooks(platform, { [agent.id]: 10_000n });
    expect((await eventsOf(platform, granted.id)).map(([type]) => type)).toEqual(['AGENT_COUPON_GRANTED', 'AGENT_COUPON_RECYCLED']);
    expect(firstError(await platform.promotion!.graphql(REDEEM, { code: granted.code }, signedIn(demo(), 'player', player)))?.code).toBe('COUPON_UNAVAILABLE');
  });

  it('answers CONFLICT to recycling a coupon its player redeemed, and leaves it GRANTED', async () => {
    const { agent, player } = await agentWithPlayer();
    const granted = (await grant(agent, { playerId: player, amount: '5.00' })).body.data!.grantAgentCoupon;
    const redeemed = await platform.promotion!.graphql(REDEEM, { code: granted.code }, signedIn(demo(), 'player', player));
    expect(redeemed.body.errors).toBeUndefined();
    expect(firstError(await recycle(agent, granted.id))?.code).toBe('CONFLICT');
    expect(await statusOf(granted.id)).toBe('GRANTED');
    await expectAgentBooks(platform, { [agent.id]: 9_500n }, { players: { [player]: 500n } });
    expect((await eventsOf(platform, granted.id)).map(([type]) => type)).toEqual(['AGENT_COUPON_GRANTED']);
  });

  it('completes a grant stopped between its charge and its issue (promotion down) in agent_worker, charged once', async () => {
    const { agent, player } = await agentWithPlayer();
    const promotionDown = await platform.startAgentApi({ PROMOTION_URL: await downUrl() });
    const answer = await grant(agent, { playerId: player, amount: '5.00' }, promotionDown);
    const stopped = answer.body.data!.grantAgentCoupon;
    expect(stopped).toMatchObject({ status: 'ISSUING', code: null });
    await waitFor('agent_worker issuing it', async () => (await statusOf(stopped.id)) === 'GRANTED');
    await expectAgentBooks(platform, { [agent.id]: 9_500n });
    expect((await eventsOf(platform, stopped.id)).map(([type]) => type)).toEqual(['AGENT_COUPON_GRANTED']);
    const calls = await platform.prisma.agentOutgoingCall.findMany({ where: { subjectId: stopped.id }, orderBy: { createdAt: 'asc' } });
    expect(calls.map((call) => [call.kind, call.status])).toEqual([
      ['WALLET_MOVEMENT', 'DONE'],
      ['COUPON_ISSUE', 'DONE'],
    ]);
  });

  it('resumes a grant whose process died after the wallet charged it, before it recorded the answer: charged once, then issued', async () => {
    const { agent, player } = await agentWithPlayer();
    const id = randomUUID();
    // What the request wrote before its call...
    const callId = await outboxTransaction(platform.prisma, async (tx) => {
      await tx.agentCouponGrant.create({ data: { id, brandId: demo().id, agentId: agent.id, playerId: player, currency: 'USD', amount: 500n, rollingMultiplierBps: 0, status: 'CHARGING' } });
      return writeCall(tx, {
        kind: 'WALLET_MOVEMENT',
        brandId: demo().id,
        subjectType: 'coupon_grant',
        subjectId: id,
        request: (key) => ({ brand: demo(), agentId: agent.id, kind: 'COUPON_GRANT', amount: 500n, key, reference: `agent_coupon_grant:${id}`, causedBy: `agent:${agent.id}`, reason: null }),
      });
    });
    // ...and the call it made, the wallet applying it; then the process died.
    const call = await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: callId } });
    const wallet = new ServiceClient({ baseUrl: platform.wallet!.url, tokens: platform.agent.deps.serviceTokens, serviceName: 'agent' });
    expect(await wallet.value(walletRoutes.agentMovement, walletRoutes.agentMovement.request.parse(call.payload))).toMatchObject({ duplicate: false });
    await wallet.close();
    await expectAgentBooks(platform, { [agent.id]: 9_500n });
    // Its lease runs out: agent_worker sends it again (the wallet answers the first result) and goes on.
    await platform.prisma.agentOutgoingCall.update({ where: { id: callId }, data: { nextAttemptAt: new Date() } });
    await waitFor('agent_worker granting it', async () => (await statusOf(id)) === 'GRANTED');
    await expectAgentBooks(platform, { [agent.id]: 9_500n });
    expect((await eventsOf(platform, id)).map(([type]) => type)).toEqual(['AGENT_COUPON_GRANTED']);
    expect(await platform.prisma.ledgerEntry.count({ where: { agentId: agent.id, kind: 'COUPON_GRANT' } })).toBe(1);
  });

  it('lists the agent its grants by status, and shows the code to its own agent only', async () => {
    const { agent, player } = await agentWithPlayer();
    await grant(agent, { playerId: player, amount: '5.00' });
    const second = (await grant(agent, { playerId: player, amount: '6.00' })).body.data!.grantAgentCoupon;
    await recycle(agent, second.id);
    const parent = await newAgent(platform);
    await platform.prisma.agent.update({ where: { id: agent.id }, data: { parentId: parent.id, path: `/${parent.id}/` } });
    const LIST = 'query ($id: ID!) { agent(id: $id) { couponGrants(status: GRANTED, first: 5, offset: 0) { totalCount edges { node { amount code } } } } }';
    const own = await platform.agent.graphql<{ agent: { couponGrants: { totalCount: number; edges: { node: Row }[] } } }>(LIST, { id: agent.id }, asAgent(agent, demo()));
    expect(own.body.data?.agent.couponGrants.totalCount).toBe(1);
    expect(own.body.data?.agent.couponGrants.edges[0]?.node.code).toMatch(/^[A-Z0-9]{12}$/);
    const above = await platform.agent.graphql<{ agent: { couponGrants: { edges: { node: Row }[] } } }>(LIST, { id: agent.id }, asAgent(parent, demo()));
    expect(above.body.data?.agent.couponGrants.edges[0]?.node).toEqual({ amount: '5.00', code: null });
  });
});
