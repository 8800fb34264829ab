/**
 * Agents' withdrawals over real HTTP, PostgreSQL and Redis, held and released by the real wallet:
 * the lifecycle both ways, every refusal changing nothing, a wallet that is down at the request
 * completed by agent_worker once, concurrent decisions with one winner, each event emitted once.
 */
import { randomUUID } from 'node:crypto';
import { STREAMS } from '@rgb/contracts';
import { firstError, signedIn, staffWith, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVE,
  asAgent,
  DECLINE,
  DECLINE_PAY,
  eventsOf,
  expectAgentBooks,
  fund,
  MARK_PAID,
  REQUEST_WITHDRAWAL,
  type Row,
  staffActionsOn,
} from './money-support';
import { type AgentPlatform, downUrl, newAgent, startAgentPlatform } from './support';
import { writeOrFindEarlier } from '../src/money';

let platform: AgentPlatform;
beforeAll(async () => {
  platform = await startAgentPlatform({}, { money: true });
}, 60_000);
afterAll(() => platform?.close());

const demo = () => platform.brands.demo;
const acme = () => platform.brands.acme;

/** A new agent on demo (and acme) with `amount` on demo. */
async function fundedAgent(amount = '100.00') {
  const agent = await newAgent(platform, { brands: [demo(), acme()] });
  await fund(platform, agent, amount);
  return agent;
}

const request = (agent: { id: string }, input: Record<string, unknown>, brand = demo()) =>
  platform.agent.graphql<{ requestAgentWithdrawal: Row }>(REQUEST_WITHDRAWAL, { input }, asAgent(agent, brand));
const decide = (operation: string, variables: Record<string, unknown>, context = platform.staff(demo())) =>
  platform.agent.graphql<Record<string, Row>>(operation, variables, context);

async function requested(agent: { id: string }, amount = '30.00'): Promise<Row> {
  const answer = await request(agent, { amount });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!.requestAgentWithdrawal;
}

const statusOf = async (id: string) => (await platform.prisma.agentWithdrawal.findUniqueOrThrow({ where: { id } })).status;

describe('agent withdrawals', () => {
  it('holds the amount, then approved and paid: PENDING, APPROVED, PAID, each announced once and audited', async () => {
    const agent = await fundedAgent();
    const withdrawal = await requested(agent);
    expect(withdrawal).toMatchObject({ amount: '30.00', currency: 'USD', status: 'PENDING', agent: { id: agent.id }, decidedAt: null });
    await expectAgentBooks(platform, { [agent.id]: 7_000n });

    expect((await decide(APPROVE, { id: withdrawal.id })).body.data?.approveAgentWithdrawal?.status).toBe('APPROVED');
    expect((await decide(MARK_PAID, { id: withdrawal.id })).body.data?.markAgentWithdrawalPaid?.status).toBe('PAID');
    await expectAgentBooks(platform, { [agent.id]: 7_000n });

    const payload = { withdrawal_id: withdrawal.id, agent_id: agent.id, amount_minor: '3000', currency: 'USD' };
    expect(await eventsOf(platform, withdrawal.id)).toEqual([
      ['AGENT_WITHDRAW_CREATED', payload],
      ['STAFF_ACTION_RECORDED', expect.objectContaining({ action: 'agent_withdrawal.approve' })],
      ['AGENT_WITHDRAW_APPROVED', payload],
      ['STAFF_ACTION_RECORDED', expect.objectContaining({ action: 'agent_withdrawal.markPaid' })],
      ['AGENT_WITHDRAW_PAID', payload],
    ]);
    // The publisher puts each on rgb:stream:agent once.
    await waitFor('the withdrawal events on the stream', async () => {
      const entries = await platform.redis.xrange(STREAMS.agent, '-', '+');
      const types = entries.map(([, fields]) => JSON.parse(fields[1]!)).filter((event) => event.aggregate_id === withdrawal.id).map((event) => event.event_type);
      return types.length === 5 ? types : undefined;
    });
    const streamed = (await platform.redis.xrange(STREAMS.agent, '-', '+')).map(([, fields]) => JSON.parse(fields[1]!)).filter((event) => event.aggregate_id === withdrawal.id);
    expect(new Set(streamed.map((event) => event.event_id)).size).toBe(5);
  });

  it('declined by staff: the held amount released once (DECLINED), the reason kept and announced', async () => {
    const agent = await fundedAgent();
    const withdrawal = await requested(agent);
    const declined = await decide(DECLINE, { id: withdrawal.id, reason: ' not verified ' });
    expect(declined.body.data?.declineAgentWithdrawal).toMatchObject({ status: 'DECLINED', reason: 'not verified' });
    await expectAgentBooks(platform, { [agent.id]: 10_000n });
    const events = await eventsOf(platform, withdrawal.id);
    expect(events.filter(([type]) => type.startsWith('AGENT_'))).toEqual([
      ['AGENT_WITHDRAW_CREATED', expect.any(Object)],
      ['AGENT_WITHDRAW_DECLINED', { withdrawal_id: withdrawal.id, agent_id: agent.id, amount_minor: '3000', currency: 'USD', reason: 'not verified' }],
    ]);
    expect(await staffActionsOn(platform, withdrawal.id)).toMatchObject([{ action: 'agent_withdrawal.decline', after: { status: 'DECLINING', reason: 'not verified' } }]);
  });

  it('approved, then its payment declined: released once (PAY_DECLINED)', async () => {
    const agent = await fundedAgent();
    const withdrawal = await requested(agent);
    await decide(APPROVE, { id: withdrawal.id });
    const payDeclined = await decide(DECLINE_PAY, { id: withdrawal.id, reason: 'bank refused' });
    expect(payDeclined.body.data?.declineAgentWithdrawalPay).toMatchObject({ status: 'PAY_DECLINED', reason: 'bank refused' });
    await expectAgentBooks(platform, { [agent.id]: 10_000n });
    expect((await eventsOf(platform, withdrawal.id)).map(([type]) => type).filter((type) => type.startsWith('AGENT_'))).toEqual([
      'AGENT_WITHDRAW_CREATED',
      'AGENT_WITHDRAW_APPROVED',
      'AGENT_WITHDRAW_PAY_DECLINED',
    ]);
  });

  it('refuses a withdrawal past the balance with INSUFFICIENT_FUNDS and the balance, keeping nothing of it', async () => {
    const agent = await fundedAgent('50.00');
    const answer = await request(agent, { amount: '60.00', idempotencyKey: 'too-much' });
    expect(answer.body.errors?.[0]).toMatchObject({ extensions: { code: 'INSUFFICIENT_FUNDS', balance: '50.00' } });
    expect(await platform.prisma.agentWithdrawal.count({ where: { agentId: agent.id } })).toBe(0);
    await expectAgentBooks(platform, { [agent.id]: 5_000n });
    // Its key is free again: once funded, the same key withdraws.
    await fund(platform, agent, '20.00');
    expect((await request(agent, { amount: '60.00', idempotencyKey: 'too-much' })).body.data?.requestAgentWithdrawal.status).toBe('PENDING');
    await expectAgentBooks(platform, { [agent.id]: 1_000n });
  });

  it('writes a keyed withdrawal once more when the earlier one of its key is refused and deleted between its unique violation and the lookup', async () => {
    const agent = await fundedAgent();
    const withdrawal = (id: string) => ({ id, brandId: demo().id, agentId: agent.id, currency: 'USD', amount: 3_000n, status: 'HOLDING' as const, idempotencyKey: 'raced' });
    const earlier = await platform.prisma.agentWithdrawal.create({ data: withdrawal(randomUUID()) });
    const byKey = { agentId_brandId_idempotencyKey: { agentId: agent.id, brandId: demo().id, idempotencyKey: 'raced' } };
    const id = randomUUID();
    let writes = 0;
    const written = await writeOrFindEarlier(
      async () => {
        writes++;
        return (await platform.prisma.agentWithdrawal.create({ data: withdrawal(id) })).id;
      },
      async () => {
        // The earlier request's hold refused: it is deleted just before this lookup.
        await platform.prisma.agentWithdrawal.deleteMany({ where: { id: earlier.id } });
        return platform.prisma.agentWithdrawal.findUnique({ where: byKey });
      },
    );
    expect(written).toEqual({ callId: id });
    expect(writes).toBe(2);
    expect((await platform.prisma.agentWithdrawal.findUniqueOrThrow({ where: byKey })).id).toBe(id);
    // Found on the lookup: the earlier one answers, written no more.
    expect(await writeOrFindEarlier(async () => (await platform.prisma.agentWithdrawal.create({ data: withdrawal(randomUUID()) })).id, () => platform.prisma.agentWithdrawal.findUnique({ where: byKey }))).toMatchObject({ earlier: { id } });
    await platform.prisma.agentWithdrawal.delete({ where: { id } });
  });

  it('refuses amounts outside the limits or the currency, another audience and an agent not serving the brand, changing nothing', async () => {
    const agent = await fundedAgent();
    const onlyAcme = await newAgent(platform, { brands: [acme()] });
    const refusals: [Awaited<ReturnType<typeof request>>, string][] = [
      [await request(agent, { amount: '19.99' }), 'BAD_USER_INPUT'],
      [await request(agent, { amount: '5000.01' }), 'BAD_USER_INPUT'],
      [await request(agent, { amount: '30.001' }), 'BAD_USER_INPUT'],
      [await request(agent, { amount: '0' }), 'BAD_USER_INPUT'],
      [await request(agent, { amount: '30.00', idempotencyKey: 'spaces are not keys' }), 'BAD_USER_INPUT'],
      [await platform.agent.graphql(REQUEST_WITHDRAWAL, { input: { amount: '30.00' } }, signedIn(demo(), 'player', agent.id)), 'FORBIDDEN'],
      [await platform.agent.graphql(REQUEST_WITHDRAWAL, { input: { amount: '30.00' } }, platform.staff(demo())), 'FORBIDDEN'],
      [await request(onlyAcme, { amount: '30.00' }), 'FORBIDDEN'],
    ];
    expect(refusals.map(([answer]) => firstError(answer)?.code)).toEqual(refusals.map(([, code]) => code));
    expect(firstError(refusals[0]![0])?.message).toContain('between 20.00 and 5000.00');
    expect(await platform.prisma.agentWithdrawal.count({ where: { agentId: { in: [agent.id, onlyAcme.id] } } })).toBe(0);
    await expectAgentBooks(platform, { [agent.id]: 10_000n, [onlyAcme.id]: null });
  });

  it('answers the same withdrawal for the same key (held once), and CONFLICT for the key with another amount', async () => {
    const agent = await fundedAgent();
    const answers = await Promise.all(Array.from({ length: 10 }, () => request(agent, { amount: '30.00', idempotencyKey: 'once' })));
    const ids = new Set(answers.map((answer) => answer.body.data?.requestAgentWithdrawal.id));
    expect(ids.size).toBe(1);
    await waitFor('the hold applied', async () => (await statusOf([...ids][0]!)) === 'PENDING');
    expect(firstError(await request(agent, { amount: '31.00', idempotencyKey: 'once' }))?.code).toBe('CONFLICT');
    await expectAgentBooks(platform, { [agent.id]: 7_000n });
  });

  it('refuses each illegal transition with CONFLICT naming the status, another brand with NOT_FOUND, and callers without the permission', async () => {
    const agent = await fundedAgent();
    const withdrawal = await requested(agent);
    const conflicts = [await decide(MARK_PAID, { id: withdrawal.id }), await decide(DECLINE_PAY, { id: withdrawal.id, reason: 'x' })];
    expect(conflicts.map((answer) => firstError(answer))).toEqual([
      { code: 'CONFLICT', message: `agent withdrawal ${withdrawal.id} is PENDING, not APPROVED` },
      { code: 'CONFLICT', message: `agent withdrawal ${withdrawal.id} is PENDING, not APPROVED` },
    ]);
    await decide(DECLINE, { id: withdrawal.id, reason: 'no' });
    for (const [operation, variables] of [
      [APPROVE, { id: withdrawal.id }],
      [DECLINE, { id: withdrawal.id, reason: 'again' }],
      [MARK_PAID, { id: withdrawal.id }],
      [DECLINE_PAY, { id: withdrawal.id, reason: 'again' }],
    ] as const) {
      expect(firstError(await decide(operation, variables))?.message).toMatch(/is DECLINED, not (PENDING|APPROVED)$/);
    }
    const other = await requested(agent);
    const refused = [
      await decide(APPROVE, { id: other.id }, platform.staff(acme())),
      await decide(APPROVE, { id: randomUUID() }),
      await decide(APPROVE, { id: 'not-a-uuid' }),
      await decide(APPROVE, { id: other.id }, staffWith(demo(), randomUUID(), ['agents.read'])),
      await decide(APPROVE, { id: other.id }, asAgent(agent, demo())),
      await decide(DECLINE, { id: other.id, reason: '   ' }),
    ];
    expect(refused.map((answer) => firstError(answer)?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', 'BAD_USER_INPUT']);
    expect(await statusOf(other.id)).toBe('PENDING');
    await expectAgentBooks(platform, { [agent.id]: 7_000n });
  });

  it('lets exactly one of concurrent decisions win, releasing at most once', async () => {
    const agent = await fundedAgent();
    const withdrawal = await requested(agent);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? decide(APPROVE, { id: withdrawal.id }) : decide(DECLINE, { id: withdrawal.id, reason: 'race' }))),
    );
    const won = answers.filter((answer) => !answer.body.errors);
    expect(won).toHaveLength(1);
    expect(answers.filter((answer) => firstError(answer)?.code === 'CONFLICT')).toHaveLength(9);
    const final = await statusOf(withdrawal.id);
    await expectAgentBooks(platform, { [agent.id]: final === 'DECLINED' ? 10_000n : 7_000n });
    expect((await staffActionsOn(platform, withdrawal.id)).length).toBe(1);
  });

  it('answers HOLDING while the wallet is down, and agent_worker holds it once', async () => {
    const agent = await fundedAgent();
    const walletDown = await platform.startAgentApi({ WALLET_URL: await downUrl() });
    const answer = await walletDown.graphql<{ requestAgentWithdrawal: Row }>(REQUEST_WITHDRAWAL, { input: { amount: '30.00' } }, asAgent(agent, demo()));
    const withdrawal = answer.body.data!.requestAgentWithdrawal;
    expect(withdrawal.status).toBe('HOLDING');
    await waitFor('agent_worker holding it', async () => (await statusOf(withdrawal.id)) === 'PENDING');
    await expectAgentBooks(platform, { [agent.id]: 7_000n });
    expect((await eventsOf(platform, withdrawal.id)).map(([type]) => type)).toEqual(['AGENT_WITHDRAW_CREATED']);
    const call = await platform.prisma.agentOutgoingCall.findFirstOrThrow({ where: { subjectId: withdrawal.id } });
    expect(call).toMatchObject({ status: 'DONE', attempts: 1 });
  });

  it('lists an agent its withdrawals and staff the brand, by status, with offset pages', async () => {
    const agent = await fundedAgent();
    const ids = [(await requested(agent, '20.00')).id, (await requested(agent, '21.00')).id, (await requested(agent, '22.00')).id];
    await decide(APPROVE, { id: ids[0] });
    const mine = await platform.agent.graphql<{ myAgent: { withdrawals: { totalCount: number; edges: { node: Row }[] } } }>(
      '{ myAgent { withdrawals(status: PENDING, first: 1, offset: 1) { totalCount edges { node { id amount } } } } }',
      {},
      asAgent(agent, demo()),
    );
    expect(mine.body.data?.myAgent.withdrawals).toEqual({ totalCount: 2, edges: [{ node: { id: ids[1], amount: '21.00' } }] });
    const staff = await platform.agent.graphql<{ agentWithdrawals: { totalCount: number } }>(
      'query ($agentId: ID) { agentWithdrawals(agentId: $agentId, status: APPROVED) { totalCount } }',
      { agentId: agent.id },
      platform.staff(demo()),
    );
    expect(staff.body.data?.agentWithdrawals.totalCount).toBe(1);
    const onAcme = await platform.agent.graphql<{ agentWithdrawals: { totalCount: number } }>('query ($agentId: ID) { agentWithdrawals(agentId: $agentId) { totalCount } }', { agentId: agent.id }, platform.staff(acme()));
    expect(onAcme.body.data?.agentWithdrawals.totalCount).toBe(0);
    const stranger = await newAgent(platform);
    const byStranger = await platform.agent.graphql<{ agent: unknown }>('query ($id: ID!) { agent(id: $id) { withdrawals { totalCount } } }', { id: agent.id }, asAgent(stranger, demo()));
    expect(byStranger.body).toEqual({ data: { agent: null } });
    const both = await platform.agent.graphql('{ myAgent { withdrawals(after: "x", offset: 1) { totalCount } } }', {}, asAgent(agent, demo()));
    expect(firstError(both)?.code).toBe('BAD_USER_INPUT');
  });
});
