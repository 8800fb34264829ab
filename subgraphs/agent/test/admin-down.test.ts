import { anonymous, firstError, freePort, signedIn, TEST_AGENT_PASSWORD } from '@rgb/kit/testing';
import { DEMO_AGENT } from '../../../prisma/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentPlatform, startAgentPlatform } from './support';

/** The agent domain when the admin domain, which keeps the agents' allow-lists, does not answer. */
describe('agents while the allow-list cannot be read', () => {
  let platform: AgentPlatform;
  beforeAll(async () => {
    // Nothing listens there: every allow-list lookup fails.
    platform = await startAgentPlatform({ ADMIN_URL: `http://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => platform?.close());

  it('refuses logins and reads with SERVICE_UNAVAILABLE, never letting the agent through', async () => {
    const login = await platform.agent.graphql(
      'mutation ($input: LoginInput!) { agentLogin(input: $input) { accessToken } }',
      { input: { username: 'AG1', password: TEST_AGENT_PASSWORD } },
      anonymous(platform.brands.demo),
    );
    expect({ data: login.body.data, error: firstError(login)?.code }).toEqual({ data: null, error: 'SERVICE_UNAVAILABLE' });
    const me = await platform.agent.graphql('{ myAgent { id } }', undefined, signedIn(platform.brands.demo, 'agent', DEMO_AGENT.id));
    expect({ data: me.body.data, error: firstError(me)?.code }).toEqual({ data: { myAgent: null }, error: 'SERVICE_UNAVAILABLE' });
  });
});
