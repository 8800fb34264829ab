import { randomUUID } from 'node:crypto';
import { hashPassword } from '@rgb/auth';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { baseLocalDefaults, ContextTokens } from '@rgb/kit';
import { anonymous, signedIn, staffWith, TEST_ADMIN_PASSWORD, TEST_AGENT_PASSWORD } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT } from '../../../prisma/seed';
import { graphql, httpRequest, startLocalPlatform, type LocalPlatform, type StoppableSubgraph } from './local-platform';

/**
 * Agents reading their players through the player, wallet and game subgraphs, each of which asks
 * the agent domain (agentRoutes.access) what the calling agent may see; and registration naming
 * an agent by code. A tree on `demo`:   root
 *                                      /    \
 *                                   mine    sibling        other (top level)
 * with `mine` also on acme, and `gone` (top level) suspended once its player is registered.
 */

let platform: LocalPlatform;
let routerUrl: string;
let brands: { demo: BrandRef; acme: BrandRef };
const contextTokens = new ContextTokens(baseLocalDefaults.INTERNAL_JWT_SECRET!, 'test');
const PASSWORD = 'agent-password-123';

interface Agent {
  id: string;
  code: string;
}
const agents = {} as Record<'root' | 'mine' | 'sibling' | 'other' | 'gone', Agent>;
const players = {} as Record<'mine' | 'mineOnAcme' | 'sibling' | 'other' | 'gone', string>;

const PLAYER_FIELDS = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Player { id username nickname status createdAt lastLoginAt } } }`;
const WALLET = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Player { id wallet { balance currency } } } }`;
const HISTORY = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Player { id gameHistory { edges { node { id } } } } } }`;
const READS: [StoppableSubgraph, string][] = [
  ['player', PLAYER_FIELDS],
  ['wallet', WALLET],
  ['game', HISTORY],
];
/** What a read answered of the player beyond the id asked: the entity (player), its wallet (nullable), its history (not: the entity goes null). */
const readOf = (name: StoppableSubgraph, answer: Answer): unknown => {
  const entity = answer.data?._entities[0] ?? null;
  return name === 'wallet' ? (entity?.wallet ?? null) : entity;
};

interface Answer {
  data?: { _entities: (Record<string, unknown> | null)[] } | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** An operation sent straight to a subgraph, as the router forwards it for `context`. */
async function subgraph(name: StoppableSubgraph, query: string, variables: Record<string, unknown>, context: ForwardedContext): Promise<Answer> {
  const response = await fetch(`${platform.url(name)}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-rgb-context': await contextTokens.sign(context) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer;
}

const reps = (...ids: string[]) => ({ reps: ids.map((id) => ({ __typename: 'Player', id })) });
const codes = (answer: Answer) => (answer.errors ?? []).map((error) => error.extensions?.code);
const asAgent = (agent: Agent, brand = brands.demo) => signedIn(brand, 'agent', agent.id);

/** An agent as staff create one, allowed on `allowed`. */
async function newAgent(parent: Agent | null, allowed: BrandRef[]): Promise<Agent> {
  const prisma = platform.admin.deps.prisma;
  const code = `CALL_${randomUUID().slice(0, 8).toUpperCase()}`;
  const parentRow = parent && (await prisma.agent.findUniqueOrThrow({ where: { id: parent.id } }));
  const agent = await prisma.agent.create({
    data: { code, name: code, passwordHash: await hashPassword(PASSWORD), path: parentRow ? `${parentRow.path}${parentRow.id}/` : '/', commissionRateBps: 0 },
  });
  await prisma.agentBrand.createMany({ data: allowed.map((brand) => ({ agentId: agent.id, brandId: brand.id })) });
  return { id: agent.id, code };
}

/** Registers a player on `brand` naming `agentCode`; the player's id, or the refusal. */
async function register(brand: BrandRef, agentCode: string | undefined, username = `p_${randomUUID().slice(0, 8)}`) {
  const answer = await subgraph(
    'player',
    'mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken } }',
    { input: { username, password: 'password-123', nickname: username, agentCode } },
    anonymous(brand),
  );
  const player = await platform.admin.deps.prisma.player.findFirst({ where: { brandId: brand.id, username } });
  return { answer, player };
}

/** Registers a player naming `agent` and records the referral as agent_worker projects its PLAYER_REGISTERED. */
async function referred(agent: Agent, brand = brands.demo): Promise<string> {
  const { answer, player } = await register(brand, agent.code.toLowerCase());
  expect(answer.errors).toBeUndefined();
  await platform.admin.deps.prisma.agentPlayer.create({ data: { playerId: player!.id, brandId: brand.id, agentId: agent.id, registeredAt: player!.createdAt } });
  return player!.id;
}

/** How many access questions the agent service has answered. */
async function accessCalls(): Promise<number> {
  const line = (await platform.metrics('agent')).split('\n').find((text) => text.startsWith('http_request_duration_seconds_count{') && text.includes('route="/internal/agent/access"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function staffToken(): Promise<string> {
  const login = await graphql<{ staffLogin: { accessToken: string } }>(routerUrl, 'mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }', {
    variables: { p: TEST_ADMIN_PASSWORD },
  });
  return login.body.data!.staffLogin.accessToken;
}

beforeAll(async () => {
  platform = await startLocalPlatform();
  routerUrl = (await platform.router()).url;
  brands = platform.admin.brands;
  agents.root = await newAgent(null, [brands.demo, brands.acme]);
  agents.mine = await newAgent(agents.root, [brands.demo, brands.acme]);
  agents.sibling = await newAgent(agents.root, [brands.demo]);
  agents.other = await newAgent(null, [brands.demo]);
  agents.gone = await newAgent(null, [brands.demo]);
  players.mine = await referred(agents.mine);
  players.mineOnAcme = await referred(agents.mine, brands.acme);
  players.sibling = await referred(agents.sibling);
  players.other = await referred(agents.other);
  players.gone = await referred(agents.gone);
  await platform.admin.deps.prisma.agent.update({ where: { id: agents.gone.id }, data: { status: 'SUSPENDED' } });
}, 60_000);
afterAll(async () => {
  await platform?.close();
});

describe('an agent reading its players', () => {
  it('reads its own players, and its sub-agents', async () => {
    for (const [name, query] of READS) {
      const mine = await subgraph(name, query, reps(players.mine), asAgent(agents.mine));
      expect(mine.errors, name).toBeUndefined();
      expect(mine.data?._entities[0], name).toMatchObject({ id: players.mine });
      const root = await subgraph(name, query, reps(players.mine, players.sibling), asAgent(agents.root));
      expect(root.errors, name).toBeUndefined();
      expect(root.data?._entities.map((entity) => entity?.id)).toEqual([players.mine, players.sibling]);
    }
    const fields = await subgraph('player', PLAYER_FIELDS, reps(players.mine), asAgent(agents.mine));
    expect(fields.data?._entities[0]).toMatchObject({ status: 'ACTIVE', username: expect.stringMatching(/^p_/), lastLoginAt: expect.any(String) });
    const wallet = await subgraph('wallet', WALLET, reps(players.mine), asAgent(agents.mine));
    expect(wallet.data?._entities[0]).toEqual({ id: players.mine, wallet: { balance: '0.00', currency: 'USD' } });
    const history = await subgraph('game', HISTORY, reps(players.mine), asAgent(agents.mine));
    expect(history.data?._entities[0]).toEqual({ id: players.mine, gameHistory: { edges: [] } });
  });

  it('reads them through the router: its players with username, balance and history', async () => {
    const login = await graphql<{ agentLogin: { accessToken: string } }>(routerUrl, 'mutation ($u: String!, $p: String!) { agentLogin(input: { username: $u, password: $p }) { accessToken } }', {
      variables: { u: agents.mine.code, p: PASSWORD },
    });
    const token = login.body.data!.agentLogin.accessToken;
    const answer = await graphql(routerUrl, '{ myPlayers { edges { node { id username wallet { balance } gameHistory { edges { node { id } } } } } } }', { token });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({
      myPlayers: { edges: [{ node: { id: players.mine, username: expect.stringMatching(/^p_/), wallet: { balance: '0.00' }, gameHistory: { edges: [] } } }] },
    });
  });

  it('is refused, by id, a player of another agent, of a sibling, of a brand it no longer serves, and all after suspension', async () => {
    for (const [name, query] of READS) expect(codes(await subgraph(name, query, reps(players.mineOnAcme), asAgent(agents.mine, brands.acme))), name).toEqual([]);
    const token = await staffToken();
    const disallowed = await graphql(routerUrl, 'mutation ($a: ID!, $b: ID!) { disallowAgentBrand(agentId: $a, brandId: $b) { id } }', {
      token,
      variables: { a: agents.mine.id, b: brands.acme.id },
    });
    expect(disallowed.body.errors).toBeUndefined();
    const refused: [string, ForwardedContext][] = [
      [players.other, asAgent(agents.mine)],
      [players.sibling, asAgent(agents.mine)],
      [players.mine, asAgent(agents.sibling)],
      [randomUUID(), asAgent(agents.mine)],
      [players.gone, asAgent(agents.gone)],
      [players.mine, asAgent(agents.other)],
    ];
    for (const [name, query] of READS) {
      for (const [playerId, context] of refused) {
        const answer = await subgraph(name, query, reps(playerId), context);
        expect({ name, playerId, read: readOf(name, answer), codes: codes(answer) }).toEqual({ name, playerId, read: null, codes: ['FORBIDDEN'] });
      }
      // The notice reaches the agent domain within moments; until then acme may still answer.
      await expect
        .poll(async () => codes(await subgraph(name, query, reps(players.mineOnAcme), asAgent(agents.mine, brands.acme))), { timeout: 5_000 })
        .toEqual(['FORBIDDEN']);
    }
  });

  it('asks the agent domain once for a request about 20 players', async () => {
    const many = await Promise.all(Array.from({ length: 20 }, () => referred(agents.mine)));
    for (const [name, query] of READS) {
      const before = await accessCalls();
      const answer = await subgraph(name, query, reps(...many), asAgent(agents.mine));
      expect(answer.errors, name).toBeUndefined();
      expect(answer.data?._entities.map((entity) => entity?.id)).toEqual(many);
      expect(await accessCalls(), name).toBe(before + 1);
    }
  });

  it('leaves players and staff as they were, without asking the agent domain', async () => {
    const { answer } = await register(brands.demo, undefined, 'plain_player');
    expect(answer.errors).toBeUndefined();
    const player = await platform.admin.deps.prisma.player.findFirstOrThrow({ where: { username: 'plain_player' } });
    const before = await accessCalls();
    const self = signedIn(brands.demo, 'player', player.id);
    const staff = staffWith(brands.demo, randomUUID(), ['players.read', 'wallets.read', 'game_rounds.read']);
    for (const [name, query] of READS) {
      expect((await subgraph(name, query, reps(player.id), self)).errors, name).toBeUndefined();
      expect((await subgraph(name, query, reps(players.mine), staff)).errors, name).toBeUndefined();
    }
    expect(codes(await subgraph('wallet', WALLET, reps(players.mine), self))).toEqual(['FORBIDDEN']);
    expect(await accessCalls()).toBe(before);
  });

  it('answers SERVICE_UNAVAILABLE, never data, and registers nobody by code while the agent domain is down', async () => {
    await platform.stop('agent');
    try {
      for (const [name, query] of READS) {
        const answer = await subgraph(name, query, reps(players.mine), asAgent(agents.mine));
        expect({ name, read: readOf(name, answer), codes: codes(answer) }).toEqual({ name, read: null, codes: ['SERVICE_UNAVAILABLE'] });
      }
      const { answer, player } = await register(brands.demo, 'AG1');
      expect({ codes: codes(answer), player }).toEqual({ codes: ['SERVICE_UNAVAILABLE'], player: null });
    } finally {
      await platform.start('agent');
    }
  });
});

describe('registering with an agent code', () => {
  it('stores the agent of the code and puts it in PLAYER_REGISTERED', async () => {
    const { answer, player } = await register(brands.demo, 'ag1');
    expect(answer.errors).toBeUndefined();
    expect(player?.agentId).toBe(DEMO_AGENT.id);
    const event = await platform.admin.deps.prisma.playerOutbox.findFirstOrThrow({
      where: { eventType: 'PLAYER_REGISTERED', envelope: { path: ['aggregate_id'], equals: player!.id } },
    });
    expect((event.envelope as { payload: { agent_id: string } }).payload.agent_id).toBe(DEMO_AGENT.id);
  });

  it('refuses an unknown code, a suspended agent and one not serving the brand, creating nobody', async () => {
    for (const [brand, code] of [
      [brands.demo, 'NO_SUCH_AGENT'],
      [brands.demo, 'x'.repeat(65)],
      [brands.demo, agents.gone.code],
      [brands.acme, 'AG1'],
      [brands.acme, agents.sibling.code],
    ] as const) {
      const { answer, player } = await register(brand, code);
      expect({ code, refusal: codes(answer), message: answer.errors?.[0]?.message, player }).toEqual({ code, refusal: ['BAD_USER_INPUT'], message: 'unknown agent code', player: null });
    }
  });

  it('takes agent_code on the legacy register route', async () => {
    const body = JSON.stringify({ username: 'legacy_referred', password: 'password-123', nickname: 'L', agent_code: 'AG1' });
    const answer = await httpRequest(`${routerUrl}/api/v1/auth/register`, 'POST', { host: 'localhost', 'content-type': 'application/json' }, body);
    expect(answer.status).toBe(200);
    const player = await platform.admin.deps.prisma.player.findFirstOrThrow({ where: { brandId: brands.demo.id, username: 'legacy_referred' } });
    expect(player.agentId).toBe(DEMO_AGENT.id);
    const refused = await httpRequest(
      `${routerUrl}/api/v1/auth/register`,
      'POST',
      { host: 'localhost', 'content-type': 'application/json' },
      JSON.stringify({ username: 'legacy_unknown', password: 'password-123', nickname: 'L', agent_code: 'NOPE' }),
    );
    expect(refused.status).toBe(400);
    expect(await platform.admin.deps.prisma.player.count({ where: { username: 'legacy_unknown' } })).toBe(0);
  });

  it('lets the demo agent sign in through the router', async () => {
    const login = await graphql(routerUrl, 'mutation ($p: String!) { agentLogin(input: { username: "ag1", password: $p }) { accessToken } }', { variables: { p: TEST_AGENT_PASSWORD } });
    expect(login.body.errors).toBeUndefined();
  });
});

describe("an agent's allow-list", () => {
  it('is not written for an unknown agent: NOT_FOUND, nothing written or audited', async () => {
    const unknown = randomUUID();
    const answer = await graphql(routerUrl, 'mutation ($a: ID!, $b: ID!) { allowAgentBrand(agentId: $a, brandId: $b) { id } }', {
      token: await staffToken(),
      variables: { a: unknown, b: brands.demo.id },
    });
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await platform.admin.deps.prisma.agentBrand.count({ where: { agentId: unknown } })).toBe(0);
    expect(await platform.admin.deps.prisma.auditLog.count({ where: { targetId: unknown } })).toBe(0);
  });

  it('is written for a known agent', async () => {
    const answer = await graphql(routerUrl, 'mutation ($a: ID!, $b: ID!) { allowAgentBrand(agentId: $a, brandId: $b) { id } }', {
      token: await staffToken(),
      variables: { a: agents.other.id, b: brands.acme.id },
    });
    expect(answer.body.errors).toBeUndefined();
    expect(await platform.admin.deps.prisma.agentBrand.count({ where: { agentId: agents.other.id } })).toBe(2);
  });
});
