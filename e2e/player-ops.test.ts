import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { fundedPlayer, sendSignedCallback } from './support/callbacks';
import { bootPlatform, type GraphQLResult, type RequestOptions, type TestPlatform } from './support/platform';

/**
 * Blocking players and the player inbox through the router of a whole platform (every service in
 * this process, on real PostgreSQL and Redis): who may do what, that a block ends the player's
 * sessions at once, and that each staff action reaches the admin audit log through the player stream.
 */
let platform: TestPlatform;
let prisma: PrismaClient;
let adminToken: string;
const PROVIDER_SECRET = 'e2e-demo-provider-secret';

const STAFF_PASSWORD = 'staff-password-123';
const STAFF_LOGIN = `mutation ($u: String!, $p: String!) { staffLogin(input: { username: $u, password: $p }) { accessToken } }`;
const LOGIN = `mutation ($u: String!) { login(input: { username: $u, password: "password-123" }) { accessToken refreshToken } }`;
const BLOCK = `mutation ($id: ID!, $r: String!) { blockPlayer(id: $id, reason: $r) { id status } }`;
const UNBLOCK = `mutation ($id: ID!) { unblockPlayer(id: $id) { id status } }`;
const SEND = `mutation ($i: SendMessageInput!) { sendMessage(input: $i) { id title body readAt } }`;
const MARK = `mutation ($id: ID!) { markMessageRead(id: $id) { id readAt } }`;
const INBOX = `query ($first: Int, $after: String, $unread: Boolean) {
  me { unreadMessageCount messages(first: $first, after: $after, unreadOnly: $unread) { totalCount pageInfo { hasNextPage endCursor } edges { node { id title body readAt } } } }
}`;

const codeOf = (answer: GraphQLResult) => answer.body.errors?.[0]?.extensions?.code;

async function ok<T = any>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<T> {
  const answer = await platform.graphql<T>(query, variables, options);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

/** A staff member of `host`'s brand only, holding `permissions`, signed in there. */
async function staffWith(username: string, permissions: string[], host = 'localhost'): Promise<string> {
  const role = await ok(`mutation ($i: CreateRoleInput!) { createRole(input: $i) { id } }`, { i: { name: username, permissions } }, { token: adminToken });
  const brandId = (await ok('{ currentBrand { id } }', undefined, { host })).currentBrand.id;
  await ok(
    `mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }`,
    { i: { username, password: STAFF_PASSWORD, roleIds: [role.createRole.id], brandIds: [brandId] } },
    { token: adminToken },
  );
  return (await ok(STAFF_LOGIN, { u: username, p: STAFF_PASSWORD }, { host })).staffLogin.accessToken;
}

/** A new player of `host`'s brand: id and tokens. */
async function newPlayer(username: string, host = 'localhost') {
  const tokens = await platform.register(username, host);
  const { me } = await ok('{ me { id } }', undefined, { token: tokens.accessToken, host });
  return { id: me.id as string, ...tokens };
}

/** The audit log's rows on one target, oldest first, once `count` of them are there. */
async function audited(targetType: string, targetId: string, count: number) {
  const read = async () =>
    (
      await ok(
        `query ($t: String!, $id: String!) { auditLog(filter: { targetType: $t, targetId: $id }) { edges { node { staffId action before after } } } }`,
        { t: targetType, id: targetId },
        { token: adminToken },
      )
    ).auditLog.edges.map(({ node }: { node: { staffId: string; action: string; before: string | null; after: string | null } }) => ({
      ...node,
      before: node.before && JSON.parse(node.before),
      after: node.after && JSON.parse(node.after),
    }));
  return (await waitFor(`${count} audit rows`, async () => {
    const rows = await read();
    return rows.length >= count ? rows : undefined;
  }, 5_000)).reverse();
}

beforeAll(async () => {
  platform = await bootPlatform(
    { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_CALLER_PER_MINUTE: '0', PROVIDER_DEMO_SECRET: PROVIDER_SECRET },
    { mode: 'single' },
  );
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
  adminToken = (await ok(STAFF_LOGIN, { u: 'admin', p: platform.secrets.ADMIN_PASSWORD })).staffLogin.accessToken;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});

describe('blocking a player', () => {
  it('ends their sessions at once, refuses their login and refresh, and unblocking lets them log in again; each step is audited', async () => {
    const player = await newPlayer('block_me');
    const second = (await ok(LOGIN, { u: 'block_me' })).login;
    expect(await ok('{ me { id } }', undefined, { token: second.accessToken })).toEqual({ me: { id: player.id } });

    expect((await ok(BLOCK, { id: player.id, r: 'chargeback fraud' }, { token: adminToken })).blockPlayer).toEqual({ id: player.id, status: 'BLOCKED' });
    for (const token of [player.accessToken, second.accessToken]) {
      const refused = await platform.graphql('{ me { id } }', undefined, { token });
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0]).toMatchObject({ message: 'this session has ended', extensions: { code: 'UNAUTHENTICATED' } });
    }
    const login = await platform.graphql(LOGIN, { u: 'block_me' });
    expect(login.body.errors?.[0]).toMatchObject({ message: 'account blocked', extensions: { code: 'FORBIDDEN' } });
    const refresh = await platform.graphql(`mutation ($r: String!) { refreshToken(refreshToken: $r) { accessToken } }`, { r: player.refreshToken });
    expect(codeOf(refresh)).toBe('UNAUTHENTICATED');

    // Blocking a blocked player answers them as they are and is not audited again (the rows below are two).
    expect((await ok(BLOCK, { id: player.id, r: 'again' }, { token: adminToken })).blockPlayer).toEqual({ id: player.id, status: 'BLOCKED' });

    expect((await ok(UNBLOCK, { id: player.id }, { token: adminToken })).unblockPlayer).toEqual({ id: player.id, status: 'ACTIVE' });
    expect((await ok(UNBLOCK, { id: player.id }, { token: adminToken })).unblockPlayer).toEqual({ id: player.id, status: 'ACTIVE' });
    const back = (await ok(LOGIN, { u: 'block_me' })).login;
    expect(await ok('{ me { id status } }', undefined, { token: back.accessToken })).toEqual({ me: { id: player.id, status: 'ACTIVE' } });

    const staffId = (await ok('{ myStaffAccess { staffId } }', undefined, { token: adminToken })).myStaffAccess.staffId;
    expect(await audited('player', player.id, 2)).toEqual([
      { staffId, action: 'player.block', before: { status: 'ACTIVE' }, after: { status: 'BLOCKED', reason: 'chargeback fraud' } },
      { staffId, action: 'player.unblock', before: { status: 'BLOCKED' }, after: { status: 'ACTIVE' } },
    ]);
  });

  it('ends the sessions again when a blocked player is blocked again, so a block whose announcement failed completes on retry', async () => {
    const player = await newPlayer('block_retry');
    // What a block leaves when Redis failed after its commit: the player blocked, the session ended in the database only.
    await prisma.player.update({ where: { id: player.id }, data: { status: 'BLOCKED' } });
    await prisma.playerSession.updateMany({ where: { subjectId: player.id }, data: { revokedAt: new Date() } });
    expect((await platform.graphql('{ me { id } }', undefined, { token: player.accessToken })).status).toBe(200);
    expect((await ok(BLOCK, { id: player.id, r: 'retry' }, { token: adminToken })).blockPlayer.status).toBe('BLOCKED');
    expect(codeOf(await platform.graphql('{ me { id } }', undefined, { token: player.accessToken }))).toBe('UNAUTHENTICATED');
  });

  it('refuses a blank reason, an unknown player and another brand player, changing nothing', async () => {
    const player = await newPlayer('block_input');
    const acme = await newPlayer('block_acme', 'acme.localhost');
    const blank = await platform.graphql(BLOCK, { id: player.id, r: '   ' }, { token: adminToken });
    expect(blank.body.errors?.[0]).toMatchObject({ message: 'reason must be 1 to 500 characters', extensions: { code: 'BAD_USER_INPUT' } });
    expect(codeOf(await platform.graphql(BLOCK, { id: player.id, r: 'x'.repeat(501) }, { token: adminToken }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await platform.graphql(BLOCK, { id: '00000000-0000-7000-8000-000000000000', r: 'r' }, { token: adminToken }))).toBe('NOT_FOUND');
    expect(codeOf(await platform.graphql(BLOCK, { id: 'not-a-uuid', r: 'r' }, { token: adminToken }))).toBe('NOT_FOUND');
    expect(codeOf(await platform.graphql(BLOCK, { id: acme.id, r: 'r' }, { token: adminToken }))).toBe('NOT_FOUND');
    expect(await ok('{ me { status } }', undefined, { token: player.accessToken })).toEqual({ me: { status: 'ACTIVE' } });
    expect(await ok('{ me { status } }', undefined, { token: acme.accessToken, host: 'acme.localhost' })).toEqual({ me: { status: 'ACTIVE' } });
  });

  it('needs players.block: staff without it, players and anonymous callers are refused', async () => {
    const player = await newPlayer('block_guarded');
    const reader = await staffWith('player_reader_only', ['players.read', 'messages.send']);
    const blocker = await staffWith('player_blocker', ['players.block']);
    for (const [query, variables] of [
      [BLOCK, { id: player.id, r: 'r' }],
      [UNBLOCK, { id: player.id }],
    ] as const) {
      const refused = await platform.graphql(query, variables, { token: reader });
      expect(refused.body.errors?.[0]).toMatchObject({ message: 'this operation needs the players.block permission', extensions: { code: 'FORBIDDEN' } });
      expect(codeOf(await platform.graphql(query, variables, { token: player.accessToken }))).toBe('FORBIDDEN');
      expect(codeOf(await platform.graphql(query, variables))).toBe('UNAUTHENTICATED');
    }
    expect(await ok('{ me { status } }', undefined, { token: player.accessToken })).toEqual({ me: { status: 'ACTIVE' } });
    expect((await ok(BLOCK, { id: player.id, r: 'r' }, { token: blocker })).blockPlayer.status).toBe('BLOCKED');
  });

  it("refuses a blocked player's new bet once the game's 5 s status cache has passed, moving no money", async () => {
    const { account } = await fundedPlayer(platform, 'block_bettor', '20.00');
    const bet = async (transactionId: string) => {
      const raw = JSON.stringify({
        request_id: randomUUID(),
        timestamp: new Date().toISOString(),
        currency: 'USD',
        account,
        transaction_id: transactionId,
        amount: '1.00',
        round_id: `round-${transactionId}`,
        game_code: 'demo-slot',
      });
      return JSON.parse((await sendSignedCallback(platform, 'bet', raw, PROVIDER_SECRET)).text);
    };
    expect(await bet('pb-1')).toMatchObject({ status: 'OK', balance: '19.00' });
    const { id } = await prisma.player.findFirstOrThrow({ where: { username: 'block_bettor' } });
    await ok(BLOCK, { id, r: 'self-exclusion' }, { token: adminToken });
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(await bet('pb-2')).toMatchObject({ status: 'ERROR', error_code: 'ACCOUNT_BLOCKED', balance: '19.00' });
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});

describe('the player inbox', () => {
  it('lists a player their own messages newest first, counts the unread ones, and marks one read once', async () => {
    const alice = await newPlayer('inbox_alice');
    const bob = await newPlayer('inbox_bob');
    const sent = [];
    for (const n of [1, 2, 3]) sent.push((await ok(SEND, { i: { playerId: alice.id, title: ` Title ${n} `, body: `Body ${n}` } }, { token: adminToken })).sendMessage);
    expect(sent[0]).toMatchObject({ title: 'Title 1', body: 'Body 1', readAt: null });
    const toBob = (await ok(SEND, { i: { playerId: bob.id, title: 'For Bob', body: 'Only Bob' } }, { token: adminToken })).sendMessage;

    const first = (await ok(INBOX, { first: 2 }, { token: alice.accessToken })).me;
    expect(first.unreadMessageCount).toBe(3);
    expect(first.messages.totalCount).toBe(3);
    expect(first.messages.edges.map(({ node }: { node: { title: string } }) => node.title)).toEqual(['Title 3', 'Title 2']);
    expect(first.messages.pageInfo.hasNextPage).toBe(true);
    const rest = (await ok(INBOX, { first: 2, after: first.messages.pageInfo.endCursor }, { token: alice.accessToken })).me.messages;
    expect(rest.edges.map(({ node }: { node: { title: string } }) => node.title)).toEqual(['Title 1']);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const read = (await ok(MARK, { id: sent[1].id }, { token: alice.accessToken })).markMessageRead;
    expect(read.readAt).toEqual(expect.any(String));
    // Marking it again changes nothing: the first reading's time stays.
    expect((await ok(MARK, { id: sent[1].id }, { token: alice.accessToken })).markMessageRead).toEqual(read);
    const unread = (await ok(INBOX, { unread: true }, { token: alice.accessToken })).me;
    expect(unread.unreadMessageCount).toBe(2);
    expect(unread.messages.edges.map(({ node }: { node: { title: string } }) => node.title)).toEqual(['Title 3', 'Title 1']);

    // Bob neither sees nor marks Alice's messages, and marking his own leaves hers unread.
    const bobs = (await ok(INBOX, {}, { token: bob.accessToken })).me;
    expect(bobs.messages.edges.map(({ node }: { node: { id: string } }) => node.id)).toEqual([toBob.id]);
    const foreign = await platform.graphql(MARK, { id: sent[0].id }, { token: bob.accessToken });
    expect(foreign.body.errors?.[0]).toMatchObject({ message: 'no such message', extensions: { code: 'NOT_FOUND' } });
    expect((await ok(INBOX, {}, { token: alice.accessToken })).me.unreadMessageCount).toBe(2);
    expect(codeOf(await platform.graphql(MARK, { id: sent[0].id }, { token: adminToken }))).toBe('FORBIDDEN');

    const staffId = (await ok('{ myStaffAccess { staffId } }', undefined, { token: adminToken })).myStaffAccess.staffId;
    expect(await audited('player_message', sent[0].id, 1)).toEqual([
      { staffId, action: 'player_message.send', before: null, after: { player_id: alice.id, title: 'Title 1' } },
    ]);
  });

  it('is read by its player only: staff reading a player get FORBIDDEN for the inbox', async () => {
    const player = await newPlayer('inbox_private');
    const answer = await platform.graphql(`query ($id: ID!) { player(id: $id) { id unreadMessageCount } }`, { id: player.id }, { token: adminToken });
    expect(answer.body.errors?.[0]).toMatchObject({ message: 'this operation is not open to staff callers', extensions: { code: 'FORBIDDEN' } });
  });

  it('refuses bad input, unknown and other brand players, and senders without messages.send, creating nothing', async () => {
    const player = await newPlayer('inbox_guarded');
    const acme = await newPlayer('inbox_acme', 'acme.localhost');
    const blocker = await staffWith('blocker_no_messages', ['players.block']);
    const send = (token: string | undefined, i: Record<string, string>) => platform.graphql(SEND, { i }, token ? { token } : {});
    const bad = await send(adminToken, { playerId: player.id, title: ' ', body: 'x'.repeat(5001) });
    expect(bad.body.errors?.[0]).toMatchObject({
      message: 'title must be 1 to 100 characters; body must be 1 to 5000 characters',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(codeOf(await send(adminToken, { playerId: player.id, title: 't'.repeat(101), body: 'b' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await send(adminToken, { playerId: acme.id, title: 't', body: 'b' }))).toBe('NOT_FOUND');
    expect(codeOf(await send(adminToken, { playerId: '00000000-0000-7000-8000-000000000000', title: 't', body: 'b' }))).toBe('NOT_FOUND');
    const refused = await send(blocker, { playerId: player.id, title: 't', body: 'b' });
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'this operation needs the messages.send permission', extensions: { code: 'FORBIDDEN' } });
    expect(codeOf(await send(player.accessToken, { playerId: player.id, title: 't', body: 'b' }))).toBe('FORBIDDEN');
    expect(codeOf(await send(undefined, { playerId: player.id, title: 't', body: 'b' }))).toBe('UNAUTHENTICATED');
    expect((await ok(INBOX, {}, { token: player.accessToken })).me).toMatchObject({ unreadMessageCount: 0, messages: { totalCount: 0 } });
    expect((await ok(INBOX, {}, { token: acme.accessToken, host: 'acme.localhost' })).me).toMatchObject({ unreadMessageCount: 0 });
  });
});

describe('content and translations', () => {
  it('are written by staff through the router, read by anyone on the host brand with fallback, and each change reaches the audit log', async () => {
    const editor = await staffWith('content_editor', ['content.read', 'content.manage', 'i18n.manage']);
    const create = `mutation ($i: CreateContentEntryInput!) { createContentEntry(input: $i) { id status } }`;
    const notice = (await ok(create, { i: { kind: 'NOTICE', locale: 'ko', title: '점검 안내', body: '**Maintenance** at 3:00', pinned: true } }, { token: editor })).createContentEntry;
    expect(notice.status).toBe('DRAFT');
    const NOTICES = '{ notices(locale: "ko-KR") { id title locale } }';
    expect(await ok(NOTICES)).toEqual({ notices: [] });
    await ok('mutation ($id: ID!) { publishContentEntry(id: $id) { id } }', { id: notice.id }, { token: editor });
    expect(await ok(NOTICES)).toEqual({ notices: [{ id: notice.id, title: '점검 안내', locale: 'ko' }] });
    expect(await ok(NOTICES, undefined, { host: 'acme.localhost' })).toEqual({ notices: [] });

    await ok('mutation { setTranslation(input: { namespace: "common", key: "welcome", locale: "en", value: "Welcome" }) { key } }', undefined, { token: editor });
    expect(await ok('{ translations(locale: "ko-KR", namespace: "common") { key value locale platformDefault } }')).toEqual({
      translations: [{ key: 'welcome', value: 'Welcome', locale: 'en', platformDefault: false }],
    });

    const staffId = (await ok('{ myStaffAccess { staffId } }', undefined, { token: editor })).myStaffAccess.staffId;
    expect(await audited('content_entry', notice.id, 2)).toEqual([
      {
        staffId,
        action: 'content_entry.create',
        before: null,
        after: expect.objectContaining({ kind: 'NOTICE', locale: 'ko', title: '점검 안내', status: 'DRAFT', pinned: true }),
      },
      { staffId, action: 'content_entry.publish', before: { status: 'DRAFT' }, after: { status: 'PUBLISHED' } },
    ]);
    expect(await audited('translation', 'common.welcome@en', 1)).toEqual([{ staffId, action: 'translation.set', before: null, after: { value: 'Welcome' } }]);
  });
});

describe('player search and detail', () => {
  const SEARCH = `query ($f: PlayerSearchFilter) { players(filter: $f) { totalCount edges { node { id username status } } } }`;
  const DETAIL = `query ($id: ID!) {
    player(id: $id) {
      username status lastLoginAt blockedAt blockReason
      wallet { balance currency }
      gameHistory(first: 5) { totalCount edges { node { roundId totalBet game { code } } } }
    }
  }`;

  it('lets staff find a player, then read them with their wallet and game history in one query across the subgraphs', async () => {
    const { account } = await fundedPlayer(platform, 'search_whale', '50.00');
    const raw = JSON.stringify({
      request_id: randomUUID(),
      timestamp: new Date().toISOString(),
      currency: 'USD',
      account,
      transaction_id: 'search-bet-1',
      amount: '2.50',
      round_id: 'search-round-1',
      game_code: 'demo-slot',
    });
    expect(JSON.parse((await sendSignedCallback(platform, 'bet', raw, PROVIDER_SECRET)).text)).toMatchObject({ status: 'OK', balance: '47.50' });
    const support = await staffWith('player_support', ['players.read', 'wallets.read', 'game_rounds.read']);

    const { players } = await ok(SEARCH, { f: { text: 'WHALE', status: 'ACTIVE' } }, { token: support });
    expect(players).toEqual({ totalCount: 1, edges: [{ node: { id: expect.any(String), username: 'search_whale', status: 'ACTIVE' } }] });
    const { player } = await ok(DETAIL, { id: players.edges[0].node.id }, { token: support });
    expect(player).toEqual({
      username: 'search_whale',
      status: 'ACTIVE',
      lastLoginAt: expect.any(String),
      blockedAt: null,
      blockReason: null,
      wallet: { balance: '47.50', currency: 'USD' },
      gameHistory: { totalCount: 1, edges: [{ node: { roundId: 'search-round-1', totalBet: '2.50', game: { code: 'demo-slot' } } }] },
    });
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });

  it("refuses staff of another brand, staff without players.read, players and anonymous callers, and shows no other brand's player", async () => {
    const target = await newPlayer('search_target');
    const acmeSupport = await staffWith('acme_player_support', ['players.read'], 'acme.localhost');
    const otherBrand = await platform.graphql(SEARCH, { f: { text: 'search_target' } }, { token: acmeSupport });
    expect(otherBrand.status).toBe(403);
    expect(otherBrand.body.errors?.[0]).toMatchObject({ message: 'this token belongs to another brand', extensions: { code: 'FORBIDDEN' } });
    // On its own brand it finds nobody of demo's, and a demo player's id names nobody.
    const onAcme = { token: acmeSupport, host: 'acme.localhost' };
    expect((await ok(SEARCH, { f: { text: 'search_target' } }, onAcme)).players).toEqual({ totalCount: 0, edges: [] });
    expect(await ok(`query ($id: ID!) { player(id: $id) { id } }`, { id: target.id }, onAcme)).toEqual({ player: null });

    const cashier = await staffWith('search_cashier', ['wallets.read', 'game_rounds.read', 'players.block']);
    for (const [query, variables] of [
      [SEARCH, { f: { text: 'search_target' } }],
      [DETAIL, { id: target.id }],
    ] as const) {
      const refused = await platform.graphql(query, variables, { token: cashier });
      expect(refused.body.errors?.[0]).toMatchObject({ message: 'this operation needs the players.read permission', extensions: { code: 'FORBIDDEN' } });
      expect(codeOf(await platform.graphql(query, variables, { token: target.accessToken }))).toBe('FORBIDDEN');
      expect(codeOf(await platform.graphql(query, variables))).toBe('UNAUTHENTICATED');
    }
  });
});
