/**
 * A refresh that cannot be completed (the admin domain, which holds the allow-list, is away) must
 * leave the presented refresh token live: the client's retry is not a replay, and its session goes on.
 */
import { anonymous, startTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSubgraph, loadAgentConfig } from '../src/index';
import { AGENT_PASSWORD, type AgentPlatform, newAgent, startAgentPlatform } from './support';

const LOGIN = `mutation ($input: LoginInput!) { agentLogin(input: $input) { accessToken refreshToken } }`;
const REFRESH = `mutation ($token: String!) { agentRefreshToken(refreshToken: $token) { accessToken refreshToken } }`;

describe('agentRefreshToken while the allow-list cannot be read', () => {
  let platform: AgentPlatform;
  let blind: Awaited<ReturnType<typeof startTestSubgraph>>;
  beforeAll(async () => {
    platform = await startAgentPlatform();
    // A second replica of the agent API whose admin is unreachable.
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: platform.admin.database.url,
      DATABASE_POOL_SIZE: '2',
      REDIS_URL: platform.agent.deps.config.REDIS_URL,
      ADMIN_URL: 'http://127.0.0.1:9',
    };
    blind = await startTestSubgraph(agentSubgraph(loadAgentConfig(env)), platform.admin.database.url, env);
  });
  afterAll(async () => {
    await blind?.close();
    await platform?.close();
  });

  it('fails without rotating: the retry once admin answers refreshes, and the session stays live', async () => {
    const agent = await newAgent(platform);
    const login = await platform.agent.graphql<{ agentLogin: { refreshToken: string } }>(LOGIN, { input: { username: agent.code, password: AGENT_PASSWORD } }, anonymous(platform.brands.demo));
    const { refreshToken } = login.body.data!.agentLogin;

    const failed = await blind.graphql(REFRESH, { token: refreshToken }, anonymous(platform.brands.demo));
    expect(failed.body.errors).toHaveLength(1);
    expect((await platform.prisma.agentSession.findFirstOrThrow({ where: { subjectId: agent.id } })).generation).toBe(0);

    const retry = await platform.agent.graphql<{ agentRefreshToken: { refreshToken: string } }>(REFRESH, { token: refreshToken }, anonymous(platform.brands.demo));
    expect(retry.body.errors).toBeUndefined();
    const session = await platform.prisma.agentSession.findFirstOrThrow({ where: { subjectId: agent.id } });
    expect(session).toMatchObject({ generation: 1, revokedAt: null });
  });
});
