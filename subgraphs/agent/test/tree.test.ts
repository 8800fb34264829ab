import { randomUUID } from 'node:crypto';
import { agentRoutes } from '@rgb/contracts';
import { ServiceClient } from '@rgb/kit';
import { firstError, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentPlatform, newAgent, playerRegistered, publishPlayerEvents, startAgentPlatform } from './support';

const AGENT = `query ($id: ID!) { agent(id: $id) { id parent { id } subAgents { totalCount edges { node { id } } } players { totalCount edges { node { id } } } } }`;
const ENTITIES = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Agent { id code } } }`;
const MY_PLAYERS = `{ myPlayers(first: 2) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
const MY_PLAYERS_AFTER = `query ($after: String) { myPlayers(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }`;
const MOVE = `mutation ($id: ID!, $input: UpdateAgentInput!) { updateAgent(id: $id, input: $input) { id parent { id } } }`;
const AGENTS = `query ($parentId: ID) { agents(parentId: $parentId) { totalCount edges { node { id } } } }`;

/**
 * A tree on `demo`:   root
 *                    /    \
 *                 mid      other
 *                  |
 *                 leaf
 * with one player referred by each agent (and one of mid's on acme).
 */
describe('the agent tree and who sees what', () => {
  let platform: AgentPlatform;
  let root: { id: string };
  let mid: { id: string };
  let leaf: { id: string };
  let other: { id: string };
  const players = { root: randomUUID(), mid: randomUUID(), leaf: randomUUID(), other: randomUUID(), midOnAcme: randomUUID() };
  let service: ServiceClient;

  beforeAll(async () => {
    platform = await startAgentPlatform();
    root = await newAgent(platform, { brands: [platform.brands.demo, platform.brands.acme] });
    mid = await newAgent(platform, { parentId: root.id, brands: [platform.brands.demo, platform.brands.acme] });
    leaf = await newAgent(platform, { parentId: mid.id });
    other = await newAgent(platform, { parentId: root.id });
    const { demo, acme } = platform.brands;
    await publishPlayerEvents(
      platform,
      playerRegistered(demo, root.id, players.root),
      playerRegistered(demo, mid.id, players.mid),
      playerRegistered(demo, leaf.id, players.leaf),
      playerRegistered(demo, other.id, players.other),
      playerRegistered(acme, mid.id, players.midOnAcme),
    );
    service = new ServiceClient({ baseUrl: platform.agent.url, tokens: platform.agent.deps.serviceTokens, serviceName: 'test' });
  });
  afterAll(async () => {
    await service?.close();
    await platform?.close();
  });

  const as = (agent: { id: string }, brand = platform.brands.demo) => signedIn(brand, 'agent', agent.id);
  const read = (id: string, context: ReturnType<typeof as>) => platform.agent.graphql<{ agent: Record<string, unknown> | null }>(AGENT, { id }, context);
  const access = (agent: { id: string }, brand = platform.brands.demo) =>
    service.value(agentRoutes.access, { brand_id: brand.id, agent_id: agent.id, player_ids: Object.values(players), agent_ids: [root.id, mid.id, leaf.id, other.id] });

  it('shows an agent its subtree, its parent and siblings as absent', async () => {
    const mine = await read(mid.id, as(mid));
    expect(mine.body.data?.agent).toEqual({
      id: mid.id,
      // Its parent is above its subtree.
      parent: null,
      subAgents: { totalCount: 1, edges: [{ node: { id: leaf.id } }] },
      players: { totalCount: 1, edges: [{ node: { id: players.mid } }] },
    });
    expect((await read(leaf.id, as(mid))).body.data?.agent).toMatchObject({ id: leaf.id, parent: { id: mid.id } });
    for (const hidden of [root.id, other.id, randomUUID(), 'not-a-uuid']) {
      const answer = await read(hidden, as(mid));
      expect(answer.body, hidden).toEqual({ data: { agent: null } });
    }
  });

  it('resolves Agent references only within the caller subtree', async () => {
    const reps = [root, mid, leaf, other].map(({ id }) => ({ __typename: 'Agent', id }));
    const answer = await platform.agent.graphql<{ _entities: ({ id: string } | null)[] }>(ENTITIES, { reps }, as(mid));
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?._entities.map((entity) => entity?.id ?? null)).toEqual([null, mid.id, leaf.id, null]);
    const asStaff = await platform.agent.graphql<{ _entities: ({ id: string } | null)[] }>(ENTITIES, { reps }, platform.staff(platform.brands.demo));
    expect(asStaff.body.data?._entities.map((entity) => entity?.id)).toEqual([root.id, mid.id, leaf.id, other.id]);
    expect(firstError(await platform.agent.graphql(ENTITIES, { reps }, signedIn(platform.brands.demo, 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await platform.agent.graphql(ENTITIES, { reps }, null))?.code).toBe('UNAUTHENTICATED');
  });

  it('lists the caller own players of the host brand only, newest first, page by page', async () => {
    const { demo, acme } = platform.brands;
    const extra = [randomUUID(), randomUUID()];
    await publishPlayerEvents(platform, playerRegistered(demo, mid.id, extra[0], new Date(Date.now() + 1_000)), playerRegistered(demo, mid.id, extra[1], new Date(Date.now() + 2_000)));
    const first = await platform.agent.graphql<{ myPlayers: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(MY_PLAYERS, undefined, as(mid));
    expect(first.body.data?.myPlayers.totalCount).toBe(3);
    expect(first.body.data?.myPlayers.edges.map((edge) => edge.node.id)).toEqual([extra[1], extra[0]]);
    const next = await platform.agent.graphql<{ myPlayers: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } }>(
      MY_PLAYERS_AFTER,
      { after: first.body.data?.myPlayers.pageInfo.endCursor },
      as(mid),
    );
    expect(next.body.data?.myPlayers).toEqual({ edges: [{ node: { id: players.mid } }], pageInfo: { hasNextPage: false } });
    const onAcme = await platform.agent.graphql<{ myPlayers: { edges: { node: { id: string } }[] } }>(MY_PLAYERS, undefined, as(mid, acme));
    expect(onAcme.body.data?.myPlayers.edges.map((edge) => edge.node.id)).toEqual([players.midOnAcme]);
    // leaf does not serve acme.
    expect(firstError(await platform.agent.graphql(MY_PLAYERS, undefined, as(leaf, acme)))?.code).toBe('FORBIDDEN');
  });

  it('answers the access route with the subtree agents and their players on the brand, nothing for an agent not serving it', async () => {
    expect(await access(mid)).toEqual({
      serves_brand: true,
      player_ids: expect.arrayContaining([players.mid, players.leaf]),
      agent_ids: expect.arrayContaining([mid.id, leaf.id]),
    });
    expect((await access(mid)).player_ids).toHaveLength(2);
    expect((await access(mid)).agent_ids).toHaveLength(2);
    expect(await access(mid, platform.brands.acme)).toEqual({ serves_brand: true, player_ids: [players.midOnAcme], agent_ids: expect.arrayContaining([mid.id, leaf.id]) });
    expect(await access(leaf, platform.brands.acme)).toEqual({ serves_brand: false, player_ids: [], agent_ids: [] });
    expect(await access({ id: randomUUID() })).toEqual({ serves_brand: false, player_ids: [], agent_ids: [] });
    expect((await access(root)).player_ids).toHaveLength(4);
  });

  it('resolves a referral code only for an active agent serving the brand, and finds agents by id', async () => {
    const code = (await platform.prisma.agent.findUniqueOrThrow({ where: { id: leaf.id } })).code;
    expect(await service.value(agentRoutes.referral, { brand_id: platform.brands.demo.id, agent_code: code.toLowerCase() })).toEqual({ agent_id: leaf.id });
    const refused = await service.call(agentRoutes.referral, { brand_id: platform.brands.acme.id, agent_code: code });
    expect(refused.ok ? null : refused.refusal.code).toBe('NOT_FOUND');
    expect(await service.value(agentRoutes.find, { agent_id: leaf.id })).toEqual({ id: leaf.id, code, status: 'ACTIVE' });
    const missing = await service.call(agentRoutes.find, { agent_id: randomUUID() });
    expect(missing.ok ? null : missing.refusal.code).toBe('NOT_FOUND');
  });

  it('refuses readers other than agents and staff with agents.read, and lists for staff', async () => {
    const { demo } = platform.brands;
    expect(firstError(await read(mid.id, signedIn(demo, 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await read(mid.id, staffWith(demo, randomUUID(), ['players.read'])))?.code).toBe('FORBIDDEN');
    expect((await read(root.id, staffWith(demo, randomUUID(), ['agents.read']))).body.data?.agent).toMatchObject({ id: root.id, parent: null });
    const children = await platform.agent.graphql<{ agents: { totalCount: number } }>(AGENTS, { parentId: root.id }, staffWith(demo, randomUUID(), ['agents.read']));
    expect(children.body.data?.agents.totalCount).toBe(2);
    expect(firstError(await platform.agent.graphql(AGENTS, {}, as(root)))?.code).toBe('FORBIDDEN');
  });

  describe('moves', () => {
    it('refuses a loop, an unknown parent, and staff without every brand', async () => {
      const staff = platform.staff(platform.brands.demo);
      for (const parentId of [mid.id, leaf.id]) {
        expect(firstError(await platform.agent.graphql(MOVE, { id: mid.id, input: { parentId } }, staff))?.code, parentId).toBe('BAD_USER_INPUT');
      }
      expect(firstError(await platform.agent.graphql(MOVE, { id: mid.id, input: { parentId: randomUUID() } }, staff))?.code).toBe('BAD_USER_INPUT');
      const scoped = staffWith(platform.brands.demo, randomUUID(), ['agents.manage']);
      expect(firstError(await platform.agent.graphql(MOVE, { id: mid.id, input: { parentId: other.id } }, scoped))?.code).toBe('FORBIDDEN');
      expect(firstError(await platform.agent.graphql(MOVE, { id: mid.id, input: { parentId: other.id } }, as(root)))?.code).toBe('FORBIDDEN');
      expect((await platform.prisma.agent.findUniqueOrThrow({ where: { id: mid.id } })).parentId).toBe(root.id);
    });

    it('moves an agent with its subtree: paths rewritten, visibility follows, the change audited', async () => {
      const staff = platform.staff(platform.brands.demo);
      const moved = await platform.agent.graphql(MOVE, { id: mid.id, input: { parentId: other.id } }, staff);
      expect(moved.body.data).toEqual({ updateAgent: { id: mid.id, parent: { id: other.id } } });
      const rows = await platform.prisma.agent.findMany({ where: { id: { in: [root.id, other.id, mid.id, leaf.id] } } });
      const pathOf = (id: string) => rows.find((row) => row.id === id)!.path;
      expect(pathOf(mid.id)).toBe(`/${root.id}/${other.id}/`);
      expect(pathOf(leaf.id)).toBe(`/${root.id}/${other.id}/${mid.id}/`);
      // other now sees mid, leaf and their players; mid still sees leaf, not other.
      expect((await read(leaf.id, as(other))).body.data?.agent).toMatchObject({ id: leaf.id });
      expect((await access(other)).player_ids).toEqual(expect.arrayContaining([players.other, players.mid, players.leaf]));
      expect((await read(other.id, as(mid))).body.data?.agent).toBeNull();

      const audit = await platform.prisma.agentOutbox.findMany({ where: { eventType: 'STAFF_ACTION_RECORDED', envelope: { path: ['aggregate_id'], equals: mid.id } }, orderBy: { id: 'asc' } });
      expect(audit.at(-1)?.envelope).toMatchObject({
        payload: { action: 'agent.update', target_type: 'agent', target_id: mid.id, before: { parent_id: root.id }, after: { parent_id: other.id } },
      });

      // To the top, with clearParent.
      const top = await platform.agent.graphql(MOVE, { id: mid.id, input: { clearParent: true } }, staff);
      expect(top.body.data).toEqual({ updateAgent: { id: mid.id, parent: null } });
      expect((await platform.prisma.agent.findUniqueOrThrow({ where: { id: leaf.id } })).path).toBe(`/${mid.id}/`);
      expect((await access(root)).agent_ids).not.toContain(leaf.id);
    });
  });
});
