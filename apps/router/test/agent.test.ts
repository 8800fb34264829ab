import { randomUUID } from 'node:crypto';
import { TEST_AGENT_PASSWORD } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT } from '../../../prisma/seed';
import { graphql, startLocalPlatform, type LocalPlatform } from './local-platform';

let platform: LocalPlatform;
let url: string;

beforeAll(async () => {
  platform = await startLocalPlatform();
  url = (await platform.router()).url;
});
afterAll(async () => {
  await platform?.close();
});

describe('agents through the router', () => {
  it('signs the demo agent in on its brand, and answers it its own agent and players', async () => {
    const login = await graphql<{ agentLogin: { accessToken: string } }>(url, 'mutation ($password: String!) { agentLogin(input: { username: "ag1", password: $password }) { accessToken } }', {
      variables: { password: TEST_AGENT_PASSWORD },
    });
    expect(login.body.errors).toBeUndefined();
    const token = login.body.data!.agentLogin.accessToken;
    // A referral as agent_worker projects it.
    const playerId = randomUUID();
    await platform.admin.deps.prisma.agentPlayer.create({ data: { playerId, brandId: platform.admin.brands.demo.id, agentId: DEMO_AGENT.id, registeredAt: new Date() } });

    const answer = await graphql(url, `{ myAgent { id code parent { id } } myPlayers { totalCount edges { node { id } } } agent(id: "${randomUUID()}") { id } }`, { token });
    expect(answer.body).toEqual({
      data: { myAgent: { id: DEMO_AGENT.id, code: 'AG1', parent: null }, myPlayers: { totalCount: 1, edges: [{ node: { id: playerId } }] }, agent: null },
    });
  });

  it('answers myAgent null to a player', async () => {
    const registered = await graphql<{ registerPlayer: { accessToken: string } }>(
      url,
      'mutation { registerPlayer(input: { username: "notanagent", password: "password-123", nickname: "N" }) { accessToken } }',
    );
    const answer = await graphql(url, '{ myAgent { id } }', { token: registered.body.data!.registerPlayer.accessToken });
    expect(answer.body).toEqual({ data: { myAgent: null } });
  });
});
