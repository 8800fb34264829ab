import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, firstError, signedIn, staffWith, type SeededTestSubgraph } from '@rgb/kit/testing';
import { LOGIN, PASSWORD, register, startPlayerSubgraph, type Registered } from './helpers';

/**
 * Staff player search (`players`) and the staff detail fields of a player, on the player
 * subgraph alone: what each filter matches, the pages, the brand's boundary and who may ask.
 */
let server: SeededTestSubgraph;
/** Demo players by username, registered in this order, an hour apart (see `REGISTERED`). */
const demo: Record<string, Registered> = {};
let acmeKim: Registered;

const DEMO_PLAYERS: [username: string, nickname: string][] = [
  ['kim_alpha', 'Lucky Tiger'],
  ['kimxalpha', 'Moon'],
  ['lee_beta', 'KIM fan'],
  ['park_gamma', '100% Pure'],
  ['choi_delta', 'Ace'],
];
/** kim_alpha registered at 10:00, kimxalpha at 11:00, and so on. */
const REGISTERED = (index: number) => new Date(Date.UTC(2026, 0, 10, 10 + index));

beforeAll(async () => {
  server = await startPlayerSubgraph();
  for (const [index, [username, nickname]] of DEMO_PLAYERS.entries()) {
    demo[username] = await register(server, server.brands.demo, username, nickname);
    await server.deps.prisma.player.update({ where: { id: demo[username]!.id }, data: { createdAt: REGISTERED(index) } });
  }
  acmeKim = await register(server, server.brands.acme, 'kim_acme', 'Kim of Acme');
});
afterAll(() => server?.close());

const SEARCH = `query ($filter: PlayerSearchFilter, $first: Int, $after: String) {
  players(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id username } } }
}`;
interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { id: string; username: string } }[];
}

const staffOf = (brand = server.brands.demo) => signedIn(brand, 'staff', randomUUID());
const search = (variables: Record<string, unknown>, context = staffOf()) => server.graphql<{ players: Page }>(SEARCH, variables, context);

/** The usernames a search finds on one page, failing on any error. */
async function usernames(filter: Record<string, unknown>, context = staffOf()): Promise<string[]> {
  const answer = await search({ filter }, context);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!.players.edges.map(({ node }) => node.username);
}

describe('players(filter)', () => {
  it('finds the text in usernames and nicknames, whatever its case, newest first, on the brand of the request only', async () => {
    expect(await usernames({ text: 'KIM' })).toEqual(['lee_beta', 'kimxalpha', 'kim_alpha']);
    expect(await usernames({ text: 'tiger' })).toEqual(['kim_alpha']);
    expect(await usernames({ text: '  ALPHA ' })).toEqual(['kimxalpha', 'kim_alpha']);
    expect(await usernames({ text: 'kim' }, staffOf(server.brands.acme))).toEqual(['kim_acme']);
    expect(await usernames({ text: 'nobody here' })).toEqual([]);
  });

  it('matches `_`, `%` and `\\` as themselves, not as wildcards', async () => {
    expect(await usernames({ text: 'm_a' })).toEqual(['kim_alpha']);
    expect(await usernames({ text: '0% p' })).toEqual(['park_gamma']);
    expect(await usernames({ text: '%%%' })).toEqual([]);
    expect(await usernames({ text: '___' })).toEqual([]);
    expect(await usernames({ text: 'kim\\' })).toEqual([]);
  });

  it('filters by status and by registration time, `registeredFrom` included and `registeredTo` excluded', async () => {
    const block = await server.graphql(`mutation ($id: ID!) { blockPlayer(id: $id, reason: "bonus abuse") { status } }`, { id: demo.choi_delta!.id }, staffOf());
    expect(firstError(block)).toBeUndefined();
    expect(await usernames({ status: 'BLOCKED' })).toEqual(['choi_delta']);
    expect(await usernames({ status: 'BLOCKED' }, staffOf(server.brands.acme))).toEqual([]);
    expect(await usernames({ status: 'ACTIVE', text: 'alpha' })).toEqual(['kimxalpha', 'kim_alpha']);
    const between = { registeredFrom: REGISTERED(1).toISOString(), registeredTo: REGISTERED(3).toISOString() };
    expect(await usernames(between)).toEqual(['lee_beta', 'kimxalpha']);
    expect(await usernames({ ...between, status: 'ACTIVE', text: 'fan' })).toEqual(['lee_beta']);
    expect(await usernames({ registeredTo: REGISTERED(0).toISOString() })).toEqual([]);
  });

  it('pages newest first by cursor: every match once, ties in registration time broken by id, the total on each page', async () => {
    // Two players registered in the same millisecond: the cursor must tell them apart.
    await server.deps.prisma.player.update({ where: { id: demo.lee_beta!.id }, data: { createdAt: REGISTERED(1) } });
    const filter = { registeredFrom: REGISTERED(0).toISOString(), registeredTo: REGISTERED(5).toISOString() };
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const answer = await search({ filter, first: 1, after });
      expect(answer.body.errors).toBeUndefined();
      const page = answer.body.data!.players;
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map(({ node }) => node.username));
      if (!page.pageInfo.hasNextPage) break;
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      after = page.pageInfo.endCursor;
    }
    const tied = ['lee_beta', 'kimxalpha'].sort((a, b) => (demo[a]!.id < demo[b]!.id ? 1 : -1));
    expect(seen).toEqual(['choi_delta', 'park_gamma', ...tied, 'kim_alpha']);
    await server.deps.prisma.player.update({ where: { id: demo.lee_beta!.id }, data: { createdAt: REGISTERED(2) } });
  });

  it.each([
    [{ filter: { text: 'ab' } }, 'text must be 3 to 50 characters'],
    [{ filter: { text: '   ' } }, 'text must be 3 to 50 characters'],
    [{ filter: { text: 'x'.repeat(51) } }, 'text must be 3 to 50 characters'],
    [{ filter: { registeredFrom: 'yesterday' } }, 'registeredFrom must be an RFC 3339 instant'],
    [{ filter: { registeredTo: '2026-13-40T00:00:00Z' } }, 'registeredTo must be an RFC 3339 instant'],
    [{ first: 0 }, 'first must be between 1 and 100'],
    [{ first: 101 }, 'first must be between 1 and 100'],
    [{ after: 'not-a-cursor' }, 'invalid cursor'],
  ])('refuses %o with BAD_USER_INPUT', async (variables, message) => {
    expect(firstError(await search(variables))).toEqual({ code: 'BAD_USER_INPUT', message });
  });

  it('needs players.read: staff without it and players are FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    const blocker = staffWith(server.brands.demo, randomUUID(), ['players.block', 'messages.send']);
    expect(firstError(await search({}, blocker))).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the players.read permission' });
    expect(firstError(await search({}, demo.kim_alpha!.context))?.code).toBe('FORBIDDEN');
    expect(firstError(await search({}, anonymous(server.brands.demo)))?.code).toBe('UNAUTHENTICATED');
    const reader = staffWith(server.brands.demo, randomUUID(), ['players.read']);
    expect((await search({}, reader)).body.data?.players.totalCount).toBe(5);
    expect((await search({}, staffWith(server.brands.acme, randomUUID(), ['players.read']))).body.data?.players.edges).toEqual([
      { cursor: expect.any(String), node: { id: acmeKim.id, username: 'kim_acme' } },
    ]);
  });
});

describe('the staff detail of a player', () => {
  const DETAIL = `query ($id: ID!) { player(id: $id) { status lastLoginAt blockedAt blockReason } }`;
  const newestSession = async (playerId: string) =>
    (await server.deps.prisma.playerSession.findFirstOrThrow({ where: { subjectId: playerId }, orderBy: { createdAt: 'desc' } })).createdAt.toISOString();

  it('shows when the player last signed in, and when and why they were blocked until they are unblocked', async () => {
    const player = await register(server, server.brands.demo, 'detail_one');
    const registered = await newestSession(player.id);
    expect((await server.graphql(DETAIL, { id: player.id }, staffOf())).body.data?.player).toEqual({
      status: 'ACTIVE',
      lastLoginAt: registered,
      blockedAt: null,
      blockReason: null,
    });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const login = await server.graphql(LOGIN, { input: { username: 'detail_one', password: PASSWORD } }, anonymous(server.brands.demo));
    expect(firstError(login)).toBeUndefined();
    const loggedIn = await newestSession(player.id);
    expect(loggedIn > registered).toBe(true);

    const before = Date.now();
    await server.graphql(`mutation ($id: ID!) { blockPlayer(id: $id, reason: " chargeback ") { id } }`, { id: player.id }, staffOf());
    const blocked = (await server.graphql<{ player: Record<string, string> }>(DETAIL, { id: player.id }, staffOf())).body.data!.player;
    expect(blocked).toEqual({ status: 'BLOCKED', lastLoginAt: loggedIn, blockedAt: expect.any(String), blockReason: 'chargeback' });
    expect(Date.parse(blocked.blockedAt!)).toBeGreaterThanOrEqual(before - 1);

    // Blocking again keeps the first block's time and reason.
    await server.graphql(`mutation ($id: ID!) { blockPlayer(id: $id, reason: "again") { id } }`, { id: player.id }, staffOf());
    expect((await server.graphql<{ player: Record<string, string> }>(DETAIL, { id: player.id }, staffOf())).body.data!.player).toEqual(blocked);

    await server.graphql(`mutation ($id: ID!) { unblockPlayer(id: $id) { id } }`, { id: player.id }, staffOf());
    expect((await server.graphql(DETAIL, { id: player.id }, staffOf())).body.data?.player).toEqual({
      status: 'ACTIVE',
      lastLoginAt: loggedIn,
      blockedAt: null,
      blockReason: null,
    });
  });

  it('lets a player read their own last sign-in, never another player\'s, and neither block field', async () => {
    const own = await server.graphql<{ me: { lastLoginAt: string } }>(`{ me { lastLoginAt } }`, undefined, demo.park_gamma!.context);
    expect(own.body).toEqual({ data: { me: { lastLoginAt: await newestSession(demo.park_gamma!.id) } } });
    for (const field of ['blockedAt', 'blockReason']) {
      const refused = await server.graphql(`{ me { ${field} } }`, undefined, demo.park_gamma!.context);
      expect(firstError(refused)).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the players.read permission' });
    }
    const ENTITY = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Player { lastLoginAt } } }`;
    const foreign = await server.graphql(ENTITY, { r: [{ __typename: 'Player', id: demo.kim_alpha!.id }] }, demo.park_gamma!.context);
    expect(firstError(foreign)).toEqual({ code: 'FORBIDDEN', message: 'this belongs to another player' });
    const staffWithout = staffWith(server.brands.demo, randomUUID(), ['players.block']);
    expect(firstError(await server.graphql(ENTITY, { r: [{ __typename: 'Player', id: demo.kim_alpha!.id }] }, staffWithout))?.code).toBe('FORBIDDEN');
  });

  it('reads the last sign-ins of a whole page in one query', async () => {
    server.operations.length = 0;
    const answer = await server.graphql<{ players: { edges: { node: { username: string; lastLoginAt: string | null } }[] } }>(
      `{ players(first: 10) { edges { node { username lastLoginAt blockReason } } } }`,
      undefined,
      staffOf(),
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data!.players.edges.length).toBeGreaterThanOrEqual(6);
    expect(answer.body.data!.players.edges.every(({ node }) => typeof node.lastLoginAt === 'string')).toBe(true);
    expect([...server.operations].sort()).toEqual(['Player.count', 'Player.findMany', 'PlayerSession.groupBy']);
  });
});
