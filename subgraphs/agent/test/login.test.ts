import { TokenService } from '@rgb/auth';
import { baseLocalDefaults } from '@rgb/kit';
import { anonymous, firstError, signedIn, TEST_AGENT_PASSWORD } from '@rgb/kit/testing';
import { DEMO_AGENT } from '../../../prisma/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PASSWORD, type AgentPlatform, allow, newAgent, startAgentPlatform } from './support';

const LOGIN = `mutation ($input: LoginInput!) { agentLogin(input: $input) { accessToken refreshToken } }`;
const REFRESH = `mutation ($token: String!) { agentRefreshToken(refreshToken: $token) { accessToken refreshToken } }`;
const LOGOUT = `mutation { agentLogout }`;
const SUSPEND = `mutation ($id: ID!) { updateAgent(id: $id, input: { status: SUSPENDED }) { id status } }`;
const ME = `{ myAgent { id code status } }`;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

// The subgraph signs with the local secret (startTestSubgraph's config).
const userTokens = new TokenService({ secret: baseLocalDefaults.AUTH_JWT_SECRET! });

describe('agent login', () => {
  let platform: AgentPlatform;
  // A short allow-list TTL, so a change without its notice shows within the test.
  beforeAll(async () => {
    platform = await startAgentPlatform({ AGENT_BRANDS_TTL_MS: '1000' });
  });
  afterAll(() => platform?.close());

  const login = (username: string, password: string, brand = platform.brands.demo) =>
    platform.agent.graphql<{ agentLogin: Tokens }>(LOGIN, { input: { username, password } }, anonymous(brand, '10.1.0.1'));

  it('signs the seeded demo agent in by its code in any case, with an agent token of the host brand listing its brands', async () => {
    const answer = await login('ag1', TEST_AGENT_PASSWORD);
    expect(answer.body.errors).toBeUndefined();
    const claims = await userTokens.verify(answer.body.data!.agentLogin.accessToken, ['agent']);
    expect(claims).toMatchObject({ audience: 'agent', subject: DEMO_AGENT.id, brandId: platform.brands.demo.id, brandIds: [platform.brands.demo.id] });
  });

  it('answers a wrong password and an unknown code alike: UNAUTHENTICATED', async () => {
    const wrong = await login('AG1', 'not-the-password');
    const unknown = await login('NOBODY', 'not-the-password');
    expect(firstError(wrong)).toEqual({ code: 'UNAUTHENTICATED', message: 'invalid username or password' });
    expect(firstError(unknown)).toEqual(firstError(wrong));
  });

  it('refuses an agent on a brand it does not serve, but only after the password checked', async () => {
    expect(firstError(await login('AG1', TEST_AGENT_PASSWORD, platform.brands.acme))?.code).toBe('FORBIDDEN');
    expect(firstError(await login('AG1', 'not-the-password', platform.brands.acme))?.code).toBe('UNAUTHENTICATED');
  });

  it('takes an allow-list change at its notice, and at the TTL without one', async () => {
    const agent = await newAgent(platform, { brands: [platform.brands.demo] });
    expect(firstError(await login(agent.code, AGENT_PASSWORD, platform.brands.acme))?.code).toBe('FORBIDDEN');
    await allow(platform, agent.id, [platform.brands.acme]);
    const onAcme = await login(agent.code, AGENT_PASSWORD, platform.brands.acme);
    expect(onAcme.body.errors).toBeUndefined();
    expect(firstError(await login(agent.code, AGENT_PASSWORD, platform.brands.demo))?.code).toBe('FORBIDDEN');

    await allow(platform, agent.id, [platform.brands.demo], { notify: false });
    // Within the TTL the cached allow-list still answers.
    expect(firstError(await login(agent.code, AGENT_PASSWORD, platform.brands.demo))?.code).toBe('FORBIDDEN');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await login(agent.code, AGENT_PASSWORD, platform.brands.demo)).body.errors).toBeUndefined();
  });

  it('refreshes while the agent may act, and ends the session once it is suspended', async () => {
    const agent = await newAgent(platform);
    const first = (await login(agent.code, AGENT_PASSWORD)).body.data!.agentLogin;
    const refreshed = await platform.agent.graphql<{ agentRefreshToken: Tokens }>(REFRESH, { token: first.refreshToken }, anonymous(platform.brands.demo));
    expect(refreshed.body.errors).toBeUndefined();
    const next = refreshed.body.data!.agentRefreshToken;
    // The used refresh token is spent.
    expect(firstError(await platform.agent.graphql(REFRESH, { token: first.refreshToken }, anonymous(platform.brands.demo)))?.code).toBe('UNAUTHENTICATED');

    const session = await platform.prisma.agentSession.findFirstOrThrow({ where: { subjectId: agent.id } });
    expect((await platform.agent.graphql(SUSPEND, { id: agent.id }, platform.staff(platform.brands.demo))).body.errors).toBeUndefined();
    expect(await platform.admin.deps.revocations.isRevoked(session.id)).toBe(true);
    expect(firstError(await platform.agent.graphql(REFRESH, { token: next.refreshToken }, anonymous(platform.brands.demo)))?.code).toBe('UNAUTHENTICATED');
    expect(firstError(await login(agent.code, AGENT_PASSWORD))?.code).toBe('FORBIDDEN');
    // A token still held answers nothing: every field checks the agent as it is now.
    expect(firstError(await platform.agent.graphql(ME, undefined, signedIn(platform.brands.demo, 'agent', agent.id)))?.code).toBe('FORBIDDEN');
  });

  it('refuses a refresh once the agent no longer serves the brand', async () => {
    const agent = await newAgent(platform);
    const tokens = (await login(agent.code, AGENT_PASSWORD)).body.data!.agentLogin;
    await allow(platform, agent.id, []);
    expect(firstError(await platform.agent.graphql(REFRESH, { token: tokens.refreshToken }, anonymous(platform.brands.demo)))?.code).toBe('FORBIDDEN');
  });

  it('logs out: the session ends', async () => {
    const agent = await newAgent(platform);
    const tokens = (await login(agent.code, AGENT_PASSWORD)).body.data!.agentLogin;
    const claims = await userTokens.verify(tokens.accessToken, ['agent']);
    if (claims.audience === 'service') throw new Error('an agent token');
    const answer = await platform.agent.graphql(LOGOUT, undefined, signedIn(platform.brands.demo, 'agent', agent.id, claims.sessionId));
    expect(answer.body.data).toEqual({ agentLogout: true });
    expect(await platform.admin.deps.revocations.isRevoked(claims.sessionId)).toBe(true);
    expect(firstError(await platform.agent.graphql(REFRESH, { token: tokens.refreshToken }, anonymous(platform.brands.demo)))?.code).toBe('UNAUTHENTICATED');
  });

  it('answers myAgent to the agent itself and null to anyone else', async () => {
    const agent = await newAgent(platform);
    const mine = await platform.agent.graphql(ME, undefined, signedIn(platform.brands.demo, 'agent', agent.id));
    expect(mine.body.data).toEqual({ myAgent: { id: agent.id, code: agent.code.toUpperCase(), status: 'ACTIVE' } });
    expect((await platform.agent.graphql(ME, undefined, signedIn(platform.brands.demo, 'player', agent.id))).body.data).toEqual({ myAgent: null });
    // Signed in on a brand it does not serve.
    expect(firstError(await platform.agent.graphql(ME, undefined, signedIn(platform.brands.acme, 'agent', agent.id)))?.code).toBe('FORBIDDEN');
  });
});
