/**
 * Staff adjustments of agents' balances over real HTTP, PostgreSQL and Redis, applied by the real
 * wallet: credits, debits, a debit past the balance refused with nothing kept, idempotent per key,
 * announced and audited once; a wallet down at the request completed by agent_worker.
 */
import { randomUUID } from 'node:crypto';
import type { ForwardedContext } from '@rgb/kit';
import { firstError, staffWith, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADJUST, asAgent, eventsOf, expectAgentBooks, fakeService, RETRY_CALL, refusal, type Row, staffActionsOn } from './money-support';
import { type AgentPlatform, downUrl, newAgent, startAgentPlatform } from './support';

let platform: AgentPlatform;
beforeAll(async () => {
  platform = await startAgentPlatform({}, { money: true });
}, 60_000);
afterAll(() => platform?.close());

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;

const adjust = (input: Record<string, unknown>, context = platform.staff(demo()), server = platform.agent) =>
  server.graphql<{ adjustAgentBalance: Row }>(ADJUST, { input: { reason: 'correction', ...input } }, context);

describe('agent balance adjustments', () => {
  it('credits and debits the agent, each announced and audited once', async () => {
    const agent = await newAgent(platform);
    const credit = (await adjust({ agentId: agent.id, amount: '25.50', reason: ' bonus ' })).body.data!.adjustAgentBalance;
    expect(credit).toMatchObject({ amount: '25.50', currency: 'USD', reason: 'bonus', status: 'APPLIED' });
    const debit = (await adjust({ agentId: agent.id, amount: '-5.25' })).body.data!.adjustAgentBalance;
    expect(debit).toMatchObject({ amount: '-5.25', status: 'APPLIED' });
    await expectAgentBooks(platform, { [agent.id]: 2_025n });
    expect(await eventsOf(platform, credit.id)).toEqual([['AGENT_BALANCE_ADJUSTED', { agent_id: agent.id, amount_minor: '2550', currency: 'USD', reason: 'bonus' }]]);
    expect(await eventsOf(platform, debit.id)).toEqual([['AGENT_BALANCE_ADJUSTED', { agent_id: agent.id, amount_minor: '-525', currency: 'USD', reason: 'correction' }]]);
    expect((await staffActionsOn(platform, agent.id)).map((action) => action.action)).toEqual(['agent.create', 'agent_balance.adjust', 'agent_balance.adjust']);
    const listed = await platform.agent.graphql<{ agent: { balanceAdjustments: { totalCount: number; edges: { node: Row }[] } } }>(
      'query ($id: ID!) { agent(id: $id) { balanceAdjustments(first: 1) { totalCount edges { node { id amount } } } } }',
      { id: agent.id },
      asAgent(agent, demo()),
    );
    expect(listed.body.data?.agent.balanceAdjustments).toEqual({ totalCount: 2, edges: [{ node: { id: debit.id, amount: '-5.25' } }] });
  });

  it('refuses a debit past the balance with INSUFFICIENT_FUNDS and the balance, keeping nothing of it', async () => {
    const agent = await newAgent(platform);
    await adjust({ agentId: agent.id, amount: '10.00' });
    const refused = await adjust({ agentId: agent.id, amount: '-10.01', idempotencyKey: 'past' });
    expect(refused.body.errors?.[0]).toMatchObject({ extensions: { code: 'INSUFFICIENT_FUNDS', balance: '10.00' } });
    expect(await platform.prisma.agentBalanceAdjustment.count({ where: { agentId: agent.id } })).toBe(1);
    await expectAgentBooks(platform, { [agent.id]: 1_000n });
  });

  it('applies one adjustment per key, however many times or concurrently asked; the key with other terms is CONFLICT', async () => {
    const agent = await newAgent(platform);
    const key = `adj-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => adjust({ agentId: agent.id, amount: '7.00', idempotencyKey: key })));
    expect(new Set(answers.map((answer) => answer.body.data?.adjustAgentBalance.id)).size).toBe(1);
    const id = answers[0]!.body.data!.adjustAgentBalance.id;
    await waitFor('the adjustment applied', async () => (await platform.prisma.agentBalanceAdjustment.findUniqueOrThrow({ where: { id } })).status === 'APPLIED');
    expect(firstError(await adjust({ agentId: agent.id, amount: '8.00', idempotencyKey: key }))?.code).toBe('CONFLICT');
    await expectAgentBooks(platform, { [agent.id]: 700n });
    expect((await eventsOf(platform, id)).map(([type]) => type)).toEqual(['AGENT_BALANCE_ADJUSTED']);
  });

  it('refuses bad input, an agent not serving the brand, and callers without agent_balances.adjust, changing nothing', async () => {
    const agent = await newAgent(platform);
    const onlyAcme = await newAgent(platform, { brands: [acme()] });
    const refusals = [
      await adjust({ agentId: agent.id, amount: '0' }),
      await adjust({ agentId: agent.id, amount: '1.001' }),
      await adjust({ agentId: agent.id, amount: '1.00', reason: '  ' }),
      await adjust({ agentId: onlyAcme.id, amount: '1.00' }),
      await adjust({ agentId: randomUUID(), amount: '1.00' }),
      await adjust({ agentId: agent.id, amount: '1.00' }, staffWith(demo(), randomUUID(), ['agents.read', 'agent_withdrawals.decide'])),
      await adjust({ agentId: agent.id, amount: '1.00' }, asAgent(agent, demo())),
    ];
    expect(refusals.map((answer) => firstError(answer)?.code)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'NOT_FOUND', 'NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN']);
    expect(await platform.prisma.agentBalanceAdjustment.count({ where: { agentId: { in: [agent.id, onlyAcme.id] } } })).toBe(0);
    await expectAgentBooks(platform, { [agent.id]: null, [onlyAcme.id]: null });
  });

  it('answers APPLYING while the wallet is down, and agent_worker applies it once', async () => {
    const agent = await newAgent(platform);
    const walletDown = await platform.startAgentApi({ WALLET_URL: await downUrl() });
    const applying = (await adjust({ agentId: agent.id, amount: '3.00' }, platform.staff(demo()), walletDown)).body.data!.adjustAgentBalance;
    expect(applying.status).toBe('APPLYING');
    await waitFor('agent_worker applying it', async () => (await platform.prisma.agentBalanceAdjustment.findUniqueOrThrow({ where: { id: applying.id } })).status === 'APPLIED');
    await expectAgentBooks(platform, { [agent.id]: 300n });
    expect((await eventsOf(platform, applying.id)).map(([type]) => type)).toEqual(['AGENT_BALANCE_ADJUSTED']);
  });

  it('fails a call refused unexpectedly: FAILED, nothing applied, agent_worker unhealthy naming it until staff retry it, then applied once', async () => {
    const agent = await newAgent(platform);
    const refusing = await fakeService(async () => refusal('CONFLICT', 'not now'));
    const api = await platform.startAgentApi({ WALLET_URL: refusing.url });
    const applying = (await adjust({ agentId: agent.id, amount: '3.00' }, platform.staff(demo()), api)).body.data!.adjustAgentBalance;
    expect(applying.status).toBe('APPLYING');
    const call = await platform.prisma.agentOutgoingCall.findFirstOrThrow({ where: { subjectId: applying.id } });
    expect(call).toMatchObject({ status: 'FAILED', attempts: 0, lastError: 'CONFLICT: not now' });
    const unhealthy = await waitFor('agent_worker unhealthy', async () => {
      const response = await fetch(`${platform.worker.url}/health`);
      return response.status === 503 && (await response.text());
    }, 20_000);
    expect(unhealthy).toContain('1 agent outgoing call(s) FAILED');
    const FAILED_CALLS = '{ agentOutgoingCalls(status: FAILED) { totalCount edges { node { id kind subjectType subjectId attempts lastError } } } }';
    const seen = await platform.agent.graphql<{ agentOutgoingCalls: { totalCount: number; edges: { node: Row }[] } }>(FAILED_CALLS, {}, platform.staff(demo()));
    expect(seen.body.data?.agentOutgoingCalls.edges.map(({ node }) => node)).toEqual([
      { id: call.id, kind: 'WALLET_MOVEMENT', subjectType: 'balance_adjustment', subjectId: applying.id, attempts: 0, lastError: 'CONFLICT: not now' },
    ]);
    expect((await platform.agent.graphql<{ agentOutgoingCalls: { totalCount: number } }>(FAILED_CALLS, {}, platform.staff(acme()))).body.data?.agentOutgoingCalls.totalCount).toBe(0);
    expect(firstError(await platform.agent.graphql(FAILED_CALLS, {}, asAgent(agent, demo())))?.code).toBe('FORBIDDEN');
    await expectAgentBooks(platform, { [agent.id]: null });

    const retry = (id: string, context: ForwardedContext) => platform.agent.graphql<{ retryAgentOutgoingCall: Row }>(RETRY_CALL, { id }, context);
    expect(firstError(await retry(call.id, platform.staff(acme())))?.code).toBe('NOT_FOUND');
    expect(firstError(await retry('not-a-uuid', platform.staff(demo())))?.code).toBe('NOT_FOUND');
    expect(firstError(await retry(call.id, asAgent(agent, demo())))?.code).toBe('FORBIDDEN');
    expect(firstError(await retry(call.id, staffWith(demo(), randomUUID(), ['agents.read', 'agent_balances.adjust'])))?.code).toBe('FORBIDDEN');
    expect((await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: call.id } })).status).toBe('FAILED');
    // The cause fixed (here: agent_worker reaches the real wallet), staff send it again under its key.
    const retried = (await retry(call.id, platform.staff(demo()))).body.data?.retryAgentOutgoingCall;
    expect(retried).toMatchObject({ id: call.id, status: 'PENDING', attempts: 0 });
    expect(firstError(await retry(call.id, platform.staff(demo())))?.code).toBe('CONFLICT');
    await waitFor('agent_worker applying it', async () => (await platform.prisma.agentBalanceAdjustment.findUniqueOrThrow({ where: { id: applying.id } })).status === 'APPLIED');
    expect((await platform.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: call.id } })).status).toBe('DONE');
    await waitFor('agent_worker healthy again', async () => (await fetch(`${platform.worker.url}/health`)).status === 200, 20_000);
    expect((await staffActionsOn(platform, call.id)).map(({ action, before, after }) => ({ action, before, after }))).toEqual([
      { action: 'agent_outgoing_call.retry', before: { status: 'FAILED', last_error: 'CONFLICT: not now' }, after: { status: 'PENDING' } },
    ]);
    await expectAgentBooks(platform, { [agent.id]: 300n });
    expect(refusing.bodies.map((body) => body.key)).toEqual([`agent-call:${call.id}`]);
    await refusing.close();
  }, 40_000);
});
