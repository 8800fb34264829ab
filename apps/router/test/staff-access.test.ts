import { randomUUID } from 'node:crypto';
import type { Permission } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { subscribeOverWebSocket, TEST_ADMIN_PASSWORD } from '@rgb/kit/testing';
import { findLedgerMismatches } from '@rgb/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startLocalPlatform, type LocalPlatform, type RouterAnswer } from './local-platform';

/**
 * Every permission boundary of the staff fields, through a router over every subgraph on real
 * PostgreSQL and Redis: what each field needs, who is refused (players, agents, staff without
 * the permission, disabled staff, staff whose scope lost the brand), and that a change made by
 * the admin domain is seen on the very next request.
 */
let platform: LocalPlatform;
let url: string;
let prisma: PrismaClient;
let adminToken: string;
let demoId: string;
let acmeId: string;

const STAFF_LOGIN = `mutation ($u: String!, $p: String!) { staffLogin(input: { username: $u, password: $p }) { accessToken } }`;
const STAFF_PASSWORD = 'staff-password-123';

async function login(username: string, password = STAFF_PASSWORD): Promise<string> {
  const answer = await graphql(url, STAFF_LOGIN, { variables: { u: username, p: password } });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!.staffLogin.accessToken;
}

/** The answer's data, failing the test on any error. */
async function ok<T = Record<string, any>>(token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const answer = await graphql<T>(url, query, { token, variables });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

const codeOf = (answer: RouterAnswer<unknown>) => answer.body.errors?.[0]?.extensions?.code;

async function createRole(name: string, permissions: Permission[]): Promise<string> {
  const data = await ok(adminToken, `mutation ($i: CreateRoleInput!) { createRole(input: $i) { id } }`, { i: { name, permissions } });
  return data.createRole.id;
}

/** A staff member created by the seeded admin through the API, signed in on demo. */
async function createStaff(username: string, { roleIds = [], brandIds = [demoId], allBrands = false }: { roleIds?: string[]; brandIds?: string[]; allBrands?: boolean } = {}) {
  const data = await ok(adminToken, `mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }`, {
    i: { username, password: STAFF_PASSWORD, roleIds, brandIds, allBrands },
  });
  return { id: data.createStaff.id as string, token: await login(username) };
}

beforeAll(async () => {
  platform = await startLocalPlatform();
  // Every request here is one of many from one address and caller: no rate limit.
  url = (await platform.router({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_CALLER_PER_MINUTE: '0' } })).url;
  prisma = platform.admin.deps.prisma;
  demoId = platform.admin.brands.demo.id;
  acmeId = platform.admin.brands.acme.id;
  adminToken = await login('admin', TEST_ADMIN_PASSWORD);
});
afterAll(async () => {
  await platform?.close();
});

const ID = '00000000-0000-7000-8000-000000000000';

/** Every staff operation of every subgraph, with the permission it needs. */
const OPERATIONS: { permission: Permission; document: string }[] = [
  { permission: 'players.read', document: `{ player(id: "${ID}") { id } }` },
  { permission: 'players.read', document: '{ players { totalCount } }' },
  { permission: 'players.block', document: `mutation { blockPlayer(id: "${ID}", reason: "r") { id } }` },
  { permission: 'players.block', document: `mutation { unblockPlayer(id: "${ID}") { id } }` },
  { permission: 'messages.send', document: `mutation { sendMessage(input: { playerId: "${ID}", title: "t", body: "b" }) { id } }` },
  { permission: 'content.read', document: '{ contentEntries { totalCount } }' },
  { permission: 'content.read', document: `{ contentEntry(id: "${ID}") { id } }` },
  { permission: 'content.manage', document: 'mutation { createContentEntry(input: { kind: FAQ, locale: "en", title: "t", body: "b" }) { id } }' },
  { permission: 'content.manage', document: `mutation { updateContentEntry(id: "${ID}", input: { title: "t" }) { id } }` },
  { permission: 'content.manage', document: `mutation { publishContentEntry(id: "${ID}") { id } }` },
  { permission: 'content.manage', document: `mutation { unpublishContentEntry(id: "${ID}") { id } }` },
  { permission: 'content.manage', document: `mutation { deleteContentEntry(id: "${ID}") }` },
  { permission: 'i18n.manage', document: '{ translationStrings(namespace: "common", locale: "en") { key } }' },
  { permission: 'i18n.manage', document: 'mutation { setTranslation(input: { namespace: "common", key: "k", locale: "en", value: "v" }) { key } }' },
  { permission: 'i18n.manage', document: 'mutation { deleteTranslation(input: { namespace: "common", key: "k", locale: "en" }) }' },
  { permission: 'deposits.read', document: '{ depositRequests { totalCount } }' },
  { permission: 'withdrawals.read', document: '{ withdrawalRequests { totalCount } }' },
  { permission: 'deposits.decide', document: `mutation { approveDeposit(id: "${ID}") { id } }` },
  { permission: 'deposits.decide', document: `mutation { declineDeposit(id: "${ID}") { id } }` },
  { permission: 'withdrawals.decide', document: `mutation { approveWithdrawal(id: "${ID}") { id } }` },
  { permission: 'withdrawals.decide', document: `mutation { declineWithdrawal(id: "${ID}") { id } }` },
  { permission: 'withdrawals.decide', document: `mutation { markWithdrawalPaid(id: "${ID}") { id } }` },
  {
    permission: 'wallets.adjust',
    document: `mutation { adjustBalance(input: { playerId: "${ID}", amount: "1.00", reason: "r", idempotencyKey: "k-${randomUUID()}" }) { id } }`,
  },
  { permission: 'providers.read', document: '{ providers { code } }' },
  { permission: 'game_rounds.read', document: '{ gameRounds { totalCount } }' },
  { permission: 'games.manage', document: 'mutation { setGameEnabled(gameCode: "no-such-game", enabled: true) { code } }' },
  { permission: 'providers.manage', document: 'mutation { setProviderEnabled(providerCode: "no-such-provider", enabled: true) { code } }' },
  { permission: 'brands.read', document: '{ brands { code } }' },
  { permission: 'brands.read', document: '{ currentBrand { config { depositRollingMultiplierBps } } }' },
  { permission: 'brands.read', document: '{ currentBrand { configHistory { totalCount } } }' },
  {
    permission: 'brands.manage',
    document: 'mutation { createBrand(input: { code: "Never", name: "n", currency: "USD", timezone: "UTC", domains: ["never.example"] }) { id } }',
  },
  { permission: 'brands.manage', document: `mutation { updateBrand(id: "${ID}", input: { name: "x" }) { id } }` },
  { permission: 'brands.manage', document: `mutation { addBrandDomain(brandId: "${ID}", host: "never.example") { id } }` },
  { permission: 'brands.manage', document: `mutation { removeBrandDomain(brandId: "${ID}", host: "never.example") { id } }` },
  { permission: 'brands.manage', document: `mutation { updateBrandConfig(brandId: "${ID}", input: { depositRollingMultiplierBps: 0 }) { id } }` },
  { permission: 'brands.manage', document: `mutation { revertBrandConfig(brandId: "${ID}", revisionId: "${ID}") { id } }` },
  { permission: 'staff.read', document: '{ staffMembers { totalCount } }' },
  { permission: 'staff.read', document: `{ staffMember(id: "${ID}") { id } }` },
  { permission: 'staff.manage', document: `mutation { createStaff(input: { username: "never_made", password: "${STAFF_PASSWORD}", allBrands: true }) { id } }` },
  { permission: 'staff.manage', document: `mutation { updateStaff(id: "${ID}", input: { status: DISABLED }) { id } }` },
  { permission: 'staff.manage', document: `mutation { setStaffPassword(id: "${ID}", password: "${STAFF_PASSWORD}") }` },
  { permission: 'staff.manage', document: `mutation { assignStaffRoles(id: "${ID}", roleIds: []) { id } }` },
  { permission: 'roles.read', document: '{ roles { name } }' },
  { permission: 'roles.read', document: '{ permissions { name } }' },
  { permission: 'roles.manage', document: 'mutation { createRole(input: { name: "never_made", permissions: [] }) { id } }' },
  { permission: 'roles.manage', document: `mutation { updateRole(id: "${ID}", input: { description: "x" }) { id } }` },
  { permission: 'roles.manage', document: `mutation { deleteRole(id: "${ID}") }` },
  { permission: 'audit.read', document: '{ auditLog { totalCount } }' },
  { permission: 'agent_brands.manage', document: `mutation { allowAgentBrand(agentId: "${ID}", brandId: "${ID}") { id } }` },
  { permission: 'agent_brands.manage', document: `mutation { disallowAgentBrand(agentId: "${ID}", brandId: "${ID}") { id } }` },
];

describe('every staff field asks for its permission', () => {
  it('refuses staff without it with FORBIDDEN naming it, and lets the seeded admin past it', async () => {
    const bare = await createStaff('bare_staff');
    for (const { permission, document } of OPERATIONS) {
      const refused = await graphql(url, document, { token: bare.token });
      expect(refused.body.errors?.[0], document).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect(refused.body.errors?.[0]?.message, document).toContain(permission);
      const admitted = await graphql(url, document, { token: adminToken });
      expect(['FORBIDDEN', 'UNAUTHENTICATED'], document).not.toContain(codeOf(admitted));
    }
  });

  it('lets a staff member holding only that permission past it', async () => {
    const holders = new Map<Permission, string>();
    for (const { permission, document } of OPERATIONS) {
      if (!holders.has(permission)) {
        const role = await createRole(`only_${permission}`, [permission]);
        holders.set(permission, (await createStaff(`only_${permission.replace('.', '_')}`, { roleIds: [role], allBrands: true })).token);
      }
      const answer = await graphql(url, document, { token: holders.get(permission)! });
      expect(['FORBIDDEN', 'UNAUTHENTICATED'], document).not.toContain(codeOf(answer));
    }
  });

  it('refuses anonymous callers with UNAUTHENTICATED, and player and agent tokens with FORBIDDEN', async () => {
    const player = await graphql(url, `mutation { registerPlayer(input: { username: "staffless_p", password: "password-123", nickname: "P" }) { accessToken } }`);
    const agentToken = await platform.admin.deps.userTokens.signAccess({ audience: 'agent', subject: randomUUID(), brandId: demoId, sessionId: randomUUID() });
    for (const { document } of OPERATIONS) {
      expect(codeOf(await graphql(url, document)), document).toBe('UNAUTHENTICATED');
      expect(codeOf(await graphql(url, document, { token: player.body.data!.registerPlayer.accessToken })), document).toBe('FORBIDDEN');
      expect(codeOf(await graphql(url, document, { token: agentToken })), document).toBe('FORBIDDEN');
    }
  });

  it('refuses a staff member of another brand, with their own token or one naming this brand', async () => {
    const role = await createRole('acme_cashier', ['deposits.read']);
    const data = await ok(adminToken, `mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }`, {
      i: { username: 'acme_cashier', password: STAFF_PASSWORD, roleIds: [role], brandIds: [acmeId] },
    });
    const id = data.createStaff.id as string;
    expect(codeOf(await graphql(url, STAFF_LOGIN, { variables: { u: 'acme_cashier', p: STAFF_PASSWORD } }))).toBe('FORBIDDEN');
    const tokenOn = (brandId: string) => platform.admin.deps.userTokens.signAccess({ audience: 'staff', subject: id, brandId, sessionId: randomUUID() });
    const ownBrand = await graphql(url, '{ depositRequests { totalCount } }', { token: await tokenOn(acmeId) });
    expect(ownBrand.status).toBe(403);
    expect(ownBrand.body.errors?.[0]).toMatchObject({ message: 'this token belongs to another brand', extensions: { code: 'FORBIDDEN' } });
    const thisBrand = await graphql(url, '{ depositRequests { totalCount } }', { token: await tokenOn(demoId) });
    expect(thisBrand.status).toBe(403);
    expect(thisBrand.body.errors?.[0]).toMatchObject({ message: 'this brand is not in your scope', extensions: { code: 'FORBIDDEN' } });
  });

  it('refuses what every brand shares to a holder of the permission without every brand', async () => {
    const role = await createRole('catalogue_keeper', ['games.manage', 'providers.manage', 'games.read']);
    const { token } = await createStaff('demo_catalogue', { roleIds: [role], brandIds: [demoId, acmeId] });
    const refused = await graphql(url, 'mutation { setGameEnabled(gameCode: "demo-live", enabled: false) { enabled } }', { token });
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('every brand'), extensions: { code: 'FORBIDDEN' } });
    expect(await prisma.game.findUniqueOrThrow({ where: { code: 'demo-live' } })).toMatchObject({ enabled: true });
  });

  it('moves no money when a staff decision or adjustment is refused, and the ledger agrees with every balance', async () => {
    const player = await graphql(url, `mutation { registerPlayer(input: { username: "refused_money", password: "password-123", nickname: "P" }) { accessToken } }`);
    const playerToken = player.body.data!.registerPlayer.accessToken;
    const deposit = await ok(playerToken, `mutation { requestDeposit(input: { amount: "25.00", depositorName: "P" }) { id } }`);
    const { id: playerId } = (await ok(playerToken, '{ me { id } }')).me;
    const role = await createRole('deposit_reader', ['deposits.read']);
    const { token } = await createStaff('deposit_reader', { roleIds: [role] });
    const entriesBefore = await prisma.ledgerEntry.count();
    expect(codeOf(await graphql(url, `mutation { approveDeposit(id: "${deposit.requestDeposit.id}") { id } }`, { token }))).toBe('FORBIDDEN');
    const adjust = `mutation { adjustBalance(input: { playerId: "${playerId}", amount: "5.00", reason: "r", idempotencyKey: "refused-1" }) { id } }`;
    expect(codeOf(await graphql(url, adjust, { token }))).toBe('FORBIDDEN');
    expect(await prisma.ledgerEntry.count()).toBe(entriesBefore);
    expect(await prisma.depositRequest.findUniqueOrThrow({ where: { id: deposit.requestDeposit.id } })).toMatchObject({ status: 'PENDING' });
    await ok(adminToken, `mutation { approveDeposit(id: "${deposit.requestDeposit.id}") { id } }`);
    expect((await ok(playerToken, '{ me { wallet { balance } } }')).me.wallet.balance).toBe('25.00');
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});

describe('a change takes effect on the next request', () => {
  it('a role changed mid-session: a permission taken away, then given back', async () => {
    const role = await createRole('cashier', ['deposits.read', 'withdrawals.read']);
    const { token } = await createStaff('cashier_1', { roleIds: [role] });
    await ok(token, '{ depositRequests { totalCount } }');
    await ok(adminToken, `mutation ($id: ID!) { updateRole(id: $id, input: { permissions: ["withdrawals.read"] }) { id } }`, { id: role });
    const refused = await graphql(url, '{ depositRequests { totalCount } }', { token });
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'this operation needs the deposits.read permission', extensions: { code: 'FORBIDDEN' } });
    await ok(token, '{ withdrawalRequests { totalCount } }');
    await ok(adminToken, `mutation ($id: ID!) { updateRole(id: $id, input: { permissions: ["deposits.read", "withdrawals.read"] }) { id } }`, { id: role });
    await ok(token, '{ depositRequests { totalCount } }');
  });

  it('roles assigned mid-session', async () => {
    const reader = await createRole('player_reader', ['players.read']);
    const { id, token } = await createStaff('assigned_later');
    expect(codeOf(await graphql(url, `{ player(id: "${ID}") { id } }`, { token }))).toBe('FORBIDDEN');
    await ok(adminToken, `mutation ($id: ID!, $r: [ID!]!) { assignStaffRoles(id: $id, roleIds: $r) { id } }`, { id, r: [reader] });
    await ok(token, `{ player(id: "${ID}") { id } }`);
  });

  it('a disabled staff account is refused with 401 at once, whatever token it holds, and works again when enabled', async () => {
    const role = await createRole('disabled_check', ['deposits.read']);
    const { id, token } = await createStaff('to_disable', { roleIds: [role] });
    await ok(token, '{ depositRequests { totalCount } }');
    await ok(adminToken, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { status } }`, { id });
    const refused = await graphql(url, '{ depositRequests { totalCount } }', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'this staff account is disabled', extensions: { code: 'UNAUTHENTICATED' } });
    expect(codeOf(await graphql(url, STAFF_LOGIN, { variables: { u: 'to_disable', p: STAFF_PASSWORD } }))).toBe('FORBIDDEN');
    await ok(adminToken, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: ACTIVE }) { status } }`, { id });
    await ok(token, '{ depositRequests { totalCount } }');
  });

  it('the brand taken out of scope mid-session is refused with 403 on the next request', async () => {
    const role = await createRole('two_brands', ['deposits.read']);
    const { id, token } = await createStaff('two_brands', { roleIds: [role], brandIds: [demoId, acmeId] });
    await ok(token, '{ depositRequests { totalCount } }');
    await ok(adminToken, `mutation ($id: ID!, $b: [ID!]!) { updateStaff(id: $id, input: { brandIds: $b }) { id } }`, { id, b: [acmeId] });
    const refused = await graphql(url, '{ depositRequests { totalCount } }', { token });
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'this brand is not in your scope', extensions: { code: 'FORBIDDEN' } });
  });
});

describe('a live subscription', () => {
  const watch = (token: string) =>
    subscribeOverWebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'subscription { topInfo { pendingDepositCount } }', { payload: { authorization: `Bearer ${token}` } });

  it('is closed when its staff member loses what it was admitted with, and stays open through a change that leaves it alone', async () => {
    const role = await createRole('watcher', ['topinfo.read', 'deposits.read']);
    const other = await createRole('unrelated', ['players.read']);
    const { token } = await createStaff('watcher_1', { roleIds: [role] });
    const bystander = await createStaff('bystander_1', { roleIds: [other] });
    const subscription = watch(token);
    try {
      expect((await subscription.next()).data).toMatchObject({ topInfo: { pendingDepositCount: expect.any(Number) } });
      // Another staff member's change leaves this connection open.
      await ok(adminToken, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { status } }`, { id: bystander.id });
      await ok(adminToken, `mutation ($id: ID!) { updateRole(id: $id, input: { permissions: ["topinfo.read"] }) { id } }`, { id: role });
      expect(await subscription.closed).toEqual({ code: 4403, reason: 'staff access changed; connect again' });
    } finally {
      await subscription.dispose();
    }
    // Connecting again admits it with what it holds now.
    const again = watch(token);
    try {
      expect((await again.next()).data).toMatchObject({ topInfo: { pendingDepositCount: expect.any(Number) } });
    } finally {
      await again.dispose();
    }
  });

  it("is closed with 4401 when its staff account is disabled, and a role without topinfo.read is refused FORBIDDEN", async () => {
    const role = await createRole('watcher_2', ['topinfo.read']);
    const { id, token } = await createStaff('watcher_2', { roleIds: [role] });
    const subscription = watch(token);
    try {
      await subscription.next();
      await ok(adminToken, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { status } }`, { id });
      expect(await subscription.closed).toEqual({ code: 4401, reason: 'this staff account is disabled' });
    } finally {
      await subscription.dispose();
    }
    const { token: without } = await createStaff('no_watcher', { roleIds: [await createRole('no_watch', ['deposits.read'])] });
    const refused = watch(without);
    try {
      expect((await refused.next()).errors?.[0]).toMatchObject({ message: 'this operation needs the topinfo.read permission', extensions: { code: 'FORBIDDEN' } });
    } finally {
      await refused.dispose();
    }
  });
});

describe('granting', () => {
  it('refuses to grant permissions or brands the granter lacks, or to manage staff beyond them, and changes nothing', async () => {
    const role = await createRole('demo_manager', ['staff.read', 'staff.manage', 'roles.read', 'roles.manage', 'players.read']);
    const manager = await createStaff('demo_manager', { roleIds: [role] });
    const superadmin = (await prisma.role.findUniqueOrThrow({ where: { name: 'superadmin' } })).id;
    const admin = await prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } });
    const auditRows = await prisma.auditLog.count();
    const refusals: [string, Record<string, unknown>, string][] = [
      ['mutation ($i: CreateRoleInput!) { createRole(input: $i) { id } }', { i: { name: 'sneaky', permissions: ['players.read', 'deposits.decide'] } }, 'deposits.decide'],
      ['mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }', { i: { username: 'sneaky_all', password: STAFF_PASSWORD, allBrands: true } }, 'every brand'],
      ['mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }', { i: { username: 'sneaky_acme', password: STAFF_PASSWORD, brandIds: [acmeId] } }, 'outside your scope'],
      ['mutation ($i: CreateStaffInput!) { createStaff(input: $i) { id } }', { i: { username: 'sneaky_su', password: STAFF_PASSWORD, brandIds: [demoId], roleIds: [superadmin] } }, 'do not hold'],
      ['mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { id } }', { id: admin.id }, 'outside your scope'],
      ['mutation ($id: ID!) { updateRole(id: $id, input: { permissions: [] }) { id } }', { id: superadmin }, 'do not hold'],
      ['mutation ($id: ID!) { updateStaff(id: $id, input: { brandIds: [] }) { id } }', { id: manager.id }, 'needs allBrands or at least one brand'],
    ];
    for (const [document, variables, reason] of refusals) {
      const refused = await graphql(url, document, { token: manager.token, variables });
      expect(refused.body.errors?.[0]?.message, document).toContain(reason);
    }
    expect(await prisma.auditLog.count()).toBe(auditRows);
    expect(await prisma.staff.count({ where: { username: { startsWith: 'sneaky' } } })).toBe(0);
    expect(await prisma.staff.findUniqueOrThrow({ where: { id: admin.id } })).toMatchObject({ status: 'ACTIVE' });
    // Within their own permissions and brands they may.
    await ok(manager.token, 'mutation { createRole(input: { name: "demo_readers", permissions: ["players.read"] }) { id } }');
  });
});

describe('the audit log', () => {
  it('keeps who did what to what, before and after, and filters by staff, action, target and time', async () => {
    const started = new Date().toISOString();
    const role = await createRole('audited', ['deposits.read']);
    const { id } = await createStaff('audited_staff', { roleIds: [role] });
    const requestId = (
      await graphql(url, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { id } }`, { token: adminToken, variables: { id } })
    ).requestId;
    const admin = await prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } });
    const LOG = `query ($f: AuditLogFilter, $first: Int, $after: String) {
      auditLog(filter: $f, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { staffId brandId action targetType targetId before after requestId createdAt } }
      } }`;
    const page = async (f: Record<string, unknown>, first?: number, after?: string) => (await ok(adminToken, LOG, { f, first, after })).auditLog;
    const ofTarget = await page({ targetType: 'staff', targetId: id });
    expect(ofTarget.edges.map((edge: { node: { action: string } }) => edge.node.action)).toEqual(['staff.update', 'staff.create']);
    const update = ofTarget.edges[0].node;
    expect(update).toMatchObject({ staffId: admin.id, brandId: demoId, targetType: 'staff', targetId: id, requestId });
    expect(JSON.parse(update.before)).toMatchObject({ username: 'audited_staff', status: 'ACTIVE', roleIds: [role], brandIds: [demoId] });
    expect(JSON.parse(update.after)).toMatchObject({ username: 'audited_staff', status: 'DISABLED', roleIds: [role], brandIds: [demoId] });
    expect(JSON.parse(ofTarget.edges[1].node.after)).not.toHaveProperty('passwordHash');
    const roleRows = await page({ action: 'role.create', targetId: role });
    expect(roleRows.edges.map((edge: { node: { before: string | null; after: string } }) => [edge.node.before, JSON.parse(edge.node.after)])).toEqual([
      [null, { name: 'audited', description: '', permissions: ['deposits.read'] }],
    ]);
    const mine = await page({ staffId: admin.id, from: started });
    expect(mine.totalCount).toBe(3);
    const first = await page({ staffId: admin.id, from: started }, 2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await page({ staffId: admin.id, from: started }, 2, first.pageInfo.endCursor);
    expect([...first.edges, ...rest.edges]).toEqual(mine.edges);
    expect((await page({ staffId: admin.id, to: started, from: started })).totalCount).toBe(0);
    expect(codeOf(await graphql(url, LOG, { token: adminToken, variables: { f: { from: 'yesterday' } } }))).toBe('BAD_USER_INPUT');
  });

  it('shows staff of one brand only the actions taken through their brands', async () => {
    // An action taken through acme (this test's router speaks for demo only).
    const admin = await prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } });
    const acmeRow = await prisma.auditLog.create({ data: { staffId: admin.id, brandId: acmeId, action: 'staff.update', targetType: 'staff', targetId: admin.id } });
    const role = await createRole('demo_auditor', ['audit.read']);
    const { token } = await createStaff('demo_auditor', { roleIds: [role] });
    const ids = async (t: string) => (await ok(t, '{ auditLog(first: 100) { edges { node { id brandId } } } }')).auditLog.edges.map((edge: { node: { id: string; brandId: string } }) => edge.node);
    const seen = await ids(token);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((row: { brandId: string }) => row.brandId === demoId)).toBe(true);
    expect(await ids(adminToken)).toContainEqual({ id: acmeRow.id, brandId: acmeId });
  });

  it('fails the change when its audit row cannot be written', async () => {
    const { id } = await createStaff('audit_failure');
    await prisma.$executeRawUnsafe(`ALTER TABLE admin.audit_log ADD CONSTRAINT refuse_rows CHECK (false) NOT VALID`);
    try {
      const refused = await graphql(url, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { id } }`, { token: adminToken, variables: { id } });
      expect(codeOf(refused)).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await prisma.$executeRawUnsafe('ALTER TABLE admin.audit_log DROP CONSTRAINT refuse_rows');
    }
    expect(await prisma.staff.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'ACTIVE' });
  });
});

describe('myStaffAccess', () => {
  it('gives the permissions, brands and the menu the role opens', async () => {
    const role = await createRole('menu_cashier', ['deposits.read', 'withdrawals.read']);
    const { token } = await createStaff('menu_cashier', { roleIds: [role] });
    const { myStaffAccess } = await ok(token, '{ myStaffAccess { username permissions allBrands brands { code } menu { key parentKey } } }');
    expect(myStaffAccess).toEqual({
      username: 'menu_cashier',
      permissions: ['deposits.read', 'withdrawals.read'],
      allBrands: false,
      brands: [{ code: 'demo' }],
      menu: [
        { key: 'payments', parentKey: null },
        { key: 'payments.deposits', parentKey: 'payments' },
        { key: 'payments.withdrawals', parentKey: 'payments' },
      ],
    });
    const admin = (await ok(adminToken, '{ myStaffAccess { allBrands permissions menu { key } } }')).myStaffAccess;
    expect(admin.allBrands).toBe(true);
    expect(admin.permissions).toEqual((await ok(adminToken, '{ permissions { name } }')).permissions.map((p: { name: string }) => p.name));
    expect(admin.menu.map((item: { key: string }) => item.key)).toContain('settings.audit');
  });

  it('lists staff by status and brand', async () => {
    const { id } = await createStaff('listed_disabled', { brandIds: [acmeId, demoId] });
    await ok(adminToken, `mutation ($id: ID!) { updateStaff(id: $id, input: { status: DISABLED }) { id } }`, { id });
    const list = async (args: string) =>
      (await ok(adminToken, `{ staffMembers(${args}) { edges { node { username brands { code } } } } }`)).staffMembers.edges.map(
        (edge: { node: { username: string } }) => edge.node.username,
      );
    expect(await list('status: DISABLED, first: 100')).toContain('listed_disabled');
    expect(await list('status: ACTIVE, first: 100')).not.toContain('listed_disabled');
    expect(await list(`brandId: "${acmeId}", first: 100`)).toEqual(expect.arrayContaining(['listed_disabled', 'admin']));
    expect(await list(`brandId: "${acmeId}", first: 100`)).not.toContain('bare_staff');
  });
});
