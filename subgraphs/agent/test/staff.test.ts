import { randomUUID } from 'node:crypto';
import { anonymous, firstError, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PASSWORD, type AgentPlatform, newAgent, startAgentPlatform } from './support';

const CREATE = `mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id code name status commissionRateBps parent { id } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateAgentInput!) { updateAgent(id: $id, input: $input) { id name commissionRateBps } }`;
const LOGIN = `mutation ($input: LoginInput!) { agentLogin(input: $input) { accessToken refreshToken } }`;
const REFRESH = `mutation ($token: String!) { agentRefreshToken(refreshToken: $token) { accessToken refreshToken } }`;

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

  it("answers an agent's tree, players and money only to staff who may read agents (agents.manage alone: FORBIDDEN)", async () => {
    const root = await newAgent(platform);
    await newAgent(platform, { parentId: root.id });
    const manager = staffWith(platform.brands.demo, randomUUID(), ['agents.manage'], { allBrands: true });
    for (const field of ['subAgents { totalCount }', 'players { totalCount }', 'withdrawals { totalCount }', 'couponGrants { totalCount }', 'balanceAdjustments { totalCount }']) {
      const answer = await platform.agent.graphql(`mutation ($id: ID!) { updateAgent(id: $id, input: { name: "Renamed" }) { id ${field} } }`, { id: root.id }, manager);
      expect(firstError(answer)?.code, field).toBe('FORBIDDEN');
    }
  });

  it('audits no update that changes nothing; a password set is audited without it and ends every session', async () => {
    const agent = await newAgent(platform);
    const staff = platform.staff(platform.brands.demo);
    const audits = () => platform.prisma.agentOutbox.findMany({ where: { eventType: 'STAFF_ACTION_RECORDED', envelope: { path: ['payload', 'target_id'], equals: agent.id } }, orderBy: { id: 'asc' } });
    const created = (await audits()).length;
    expect((await platform.agent.graphql(UPDATE, { id: agent.id, input: {} }, staff)).body.errors).toBeUndefined();
    expect(await audits()).toHaveLength(created);

    const login = await platform.agent.graphql<{ agentLogin: { refreshToken: string } }>(LOGIN, { input: { username: agent.code, password: AGENT_PASSWORD } }, anonymous(platform.brands.demo));
    const { refreshToken } = login.body.data!.agentLogin;
    expect((await platform.agent.graphql(UPDATE, { id: agent.id, input: { password: 'a-new-password-456' } }, staff)).body.errors).toBeUndefined();
    const changed = await audits();
    expect(changed).toHaveLength(created + 1);
    const payload = (changed.at(-1)!.envelope as { payload: { after: Record<string, unknown> } }).payload;
    expect(payload.after).toMatchObject({ password_changed: true });
    expect(JSON.stringify(payload)).not.toContain('a-new-password-456');
    expect(await platform.prisma.agentSession.count({ where: { subjectId: agent.id, revokedAt: null } })).toBe(0);
    expect(firstError(await platform.agent.graphql(REFRESH, { token: refreshToken }, anonymous(platform.brands.demo)))?.code).toBe('UNAUTHENTICATED');
  });
});
