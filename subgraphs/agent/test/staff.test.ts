import { randomUUID } from 'node:crypto';
import { firstError, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PASSWORD, type AgentPlatform, newAgent, startAgentPlatform } from './support';

const CREATE = `mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id code name status commissionRateBps parent { id } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateAgentInput!) { updateAgent(id: $id, input: $input) { id name commissionRateBps } }`;

describe('staff managing agents', () => {
  let platform: AgentPlatform;
  beforeAll(async () => {
    platform = await startAgentPlatform();
  });
  afterAll(() => platform?.close());

  const input = (overrides: Record<string, unknown> = {}) => ({ code: `c_${randomUUID().slice(0, 8)}`, name: 'Agent', password: AGENT_PASSWORD, commissionRateBps: 250, ...overrides });
  const written = async () => ({ agents: await platform.prisma.agent.count(), outbox: await platform.prisma.agentOutbox.count() });

  it('creates an agent with its code upper case, audited', async () => {
    const parent = await newAgent(platform);
    const answer = await platform.agent.graphql<{ createAgent: { id: string } }>(CREATE, { input: input({ code: 'new_one', parentId: parent.id }) }, platform.staff(platform.brands.demo));
    expect(answer.body.data?.createAgent).toMatchObject({ code: 'NEW_ONE', status: 'ACTIVE', commissionRateBps: 250, parent: { id: parent.id } });
    const audit = await platform.prisma.agentOutbox.findFirstOrThrow({ where: { envelope: { path: ['aggregate_id'], equals: answer.body.data!.createAgent.id } } });
    expect(audit.envelope).toMatchObject({ event_type: 'STAFF_ACTION_RECORDED', payload: { action: 'agent.create', before: null, after: { code: 'NEW_ONE', commission_rate_bps: 250 } } });
    expect(JSON.stringify(audit.envelope)).not.toContain('password');
  });

  it('refuses bad input and a code taken in any case, writing nothing', async () => {
    const staff = platform.staff(platform.brands.demo);
    await platform.agent.graphql(CREATE, { input: input({ code: 'Taken' }) }, staff);
    const before = await written();
    const refusals: [Record<string, unknown>, string][] = [
      [{ code: 'TAKEN' }, 'CONFLICT'],
      [{ code: 'taken' }, 'CONFLICT'],
      [{ code: 'a' }, 'BAD_USER_INPUT'],
      [{ code: 'has space' }, 'BAD_USER_INPUT'],
      [{ commissionRateBps: 10_001 }, 'BAD_USER_INPUT'],
      [{ commissionRateBps: -1 }, 'BAD_USER_INPUT'],
      [{ password: 'short' }, 'BAD_USER_INPUT'],
      [{ name: '  ' }, 'BAD_USER_INPUT'],
      [{ parentId: randomUUID() }, 'BAD_USER_INPUT'],
      [{ parentId: 'not-a-uuid' }, 'BAD_USER_INPUT'],
    ];
    for (const [overrides, code] of refusals) {
      expect(firstError(await platform.agent.graphql(CREATE, { input: input(overrides) }, staff))?.code, JSON.stringify(overrides)).toBe(code);
    }
    expect(await written()).toEqual(before);
  });

  it('refuses agents, players and staff without agents.manage on every brand', async () => {
    const agent = await newAgent(platform);
    const before = await written();
    const { demo } = platform.brands;
    const callers = [
      staffWith(demo, randomUUID(), ['agents.read']),
      staffWith(demo, randomUUID(), ['agents.manage']),
      signedIn(demo, 'agent', agent.id),
      signedIn(demo, 'player', randomUUID()),
    ];
    for (const caller of callers) {
      expect(firstError(await platform.agent.graphql(CREATE, { input: input() }, caller))?.code).toBe('FORBIDDEN');
      expect(firstError(await platform.agent.graphql(UPDATE, { id: agent.id, input: { name: 'Renamed' } }, caller))?.code).toBe('FORBIDDEN');
    }
    expect(firstError(await platform.agent.graphql(CREATE, { input: input() }, null))?.code).toBe('UNAUTHENTICATED');
    expect(await written()).toEqual(before);
  });

  it('updates name and commission, and answers NOT_FOUND for an unknown agent', async () => {
    const agent = await newAgent(platform);
    const staff = platform.staff(platform.brands.demo);
    const answer = await platform.agent.graphql(UPDATE, { id: agent.id, input: { name: 'Renamed', commissionRateBps: 500 } }, staff);
    expect(answer.body.data).toEqual({ updateAgent: { id: agent.id, name: 'Renamed', commissionRateBps: 500 } });
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expect(firstError(await platform.agent.graphql(UPDATE, { id, input: { name: 'X' } }, staff))?.code).toBe('NOT_FOUND');
    }
    expect(firstError(await platform.agent.graphql(UPDATE, { id: agent.id, input: { commissionRateBps: 10_001 } }, staff))?.code).toBe('BAD_USER_INPUT');
  });
});
