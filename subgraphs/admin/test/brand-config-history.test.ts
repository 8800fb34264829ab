import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '@rgb/contracts';
import type { ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, staffWith } from '@rgb/kit/testing';
import { adminSubgraph } from '../src/index';

/**
 * A brand's config history (`Brand.configHistory`) and `revertBrandConfig`, on the admin
 * subgraph alone: a revision per change, written in the change's transaction, newest first, who
 * may read and revert, and what a revert puts back.
 */
const MANAGE: Permission[] = ['brands.read', 'brands.manage'];

let server: SeededTestSubgraph;
let everyBrand: ForwardedContext;
let demoOnly: ForwardedContext;
let everyBrandId: string;

beforeAll(async () => {
  server = await startSeededTestSubgraph(adminSubgraph);
  const { prisma } = server.deps;
  everyBrandId = (await prisma.staff.create({ data: { username: `all_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true } })).id;
  const demoOnlyId = (
    await prisma.staff.create({
      data: { username: `demo_${randomUUID().slice(0, 8)}`, passwordHash: 'x', brands: { create: { brandId: server.brands.demo.id } } },
    })
  ).id;
  everyBrand = staffWith(server.brands.demo, everyBrandId, MANAGE, { allBrands: true });
  demoOnly = staffWith(server.brands.acme, demoOnlyId, MANAGE);
});
afterAll(() => server?.close());

const UPDATE = `mutation ($id: ID!, $input: UpdateBrandConfigInput!, $reason: String) { updateBrandConfig(brandId: $id, input: $input, reason: $reason) { id } }`;
const REVERT = `mutation ($id: ID!, $revision: ID!, $reason: String) { revertBrandConfig(brandId: $id, revisionId: $revision, reason: $reason) { id } }`;
const HISTORY = `query ($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Brand {
    configHistory(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id kind staffId changedSections before after reason requestId createdAt } }
    }
  } }
}`;

interface Revision {
  id: string;
  kind: 'UPDATE' | 'REVERT';
  staffId: string;
  changedSections: string[];
  before: string;
  after: string;
  reason: string | null;
  requestId: string | null;
  createdAt: string;
}
interface History {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Revision }[];
}

const ACCOUNT = { bankName: 'First Bank', accountNumber: '12-34', holder: 'Brand Ltd', active: true };

const history = (brandId: string, page: { first?: number; after?: string | null } = {}, as: ForwardedContext = everyBrand) =>
  server.graphql<{ _entities: { configHistory: History }[] }>(HISTORY, { r: [{ __typename: 'Brand', id: brandId }], ...page }, as);

/** Every revision of the brand, newest first, its before and after parsed. */
async function revisions(brandId: string) {
  const answer = await history(brandId, { first: 100 });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!._entities[0]!.configHistory.edges.map(({ node }) => ({ ...node, before: JSON.parse(node.before), after: JSON.parse(node.after) }));
}

/** The brand's config as other services read it (money in minor units). */
async function configOf(brandId: string): Promise<Record<string, any>> {
  const response = await fetch(`${server.url}/internal/brands/${brandId}/config`, {
    headers: { authorization: `Bearer ${await server.deps.serviceTokens.signService('test')}` },
  });
  return ((await response.json()) as { config: Record<string, any> }).config;
}

async function newBrand(): Promise<string> {
  const code = `h${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const created = await server.graphql<{ createBrand: { id: string } }>(
    `mutation ($input: CreateBrandInput!) { createBrand(input: $input) { id } }`,
    { input: { code, name: 'History Brand', currency: 'EUR', timezone: 'UTC', domains: [`${code}.example.com`] } },
    everyBrand,
  );
  expect(firstError(created)).toBeUndefined();
  return created.body.data!.createBrand.id;
}

async function update(brandId: string, input: Record<string, unknown>, reason?: string, as = everyBrand) {
  const answer = await server.graphql(UPDATE, { id: brandId, input, reason }, as);
  expect(firstError(answer)).toBeUndefined();
}

describe('Brand.configHistory', () => {
  it('holds a revision for each change, newest first by page: who, why, in which request, and the sections changed before and after', async () => {
    const brandId = await newBrand();
    await update(brandId, { depositRollingMultiplierBps: 25000 }, '  launch promotion ');
    await update(brandId, { limits: { minDeposit: '5', maxDeposit: '500', minWithdrawal: '10', maxWithdrawal: '400' }, depositAccounts: [ACCOUNT] });
    await server.graphql(`mutation ($id: ID!) { updateBrand(id: $id, input: { name: "Renamed" }) { id } }`, { id: brandId }, everyBrand);
    await update(brandId, { categoryContributions: { slotsBps: 10000, liveCasinoBps: 1000, tableBps: 0, otherBps: 0 } });

    const all = await revisions(brandId);
    expect(all.map(({ kind, changedSections }) => [kind, changedSections])).toEqual([
      ['UPDATE', ['CATEGORY_CONTRIBUTIONS']],
      ['UPDATE', ['DEPOSIT_ACCOUNTS', 'LIMITS']],
      ['UPDATE', ['DEPOSIT_ROLLING_MULTIPLIER']],
    ]);
    const [contributions, limits, rolling] = all;
    expect(rolling).toMatchObject({
      staffId: everyBrandId,
      reason: 'launch promotion',
      before: { deposit_rolling_multiplier_bps: 0 },
      after: { deposit_rolling_multiplier_bps: 25000 },
    });
    expect(rolling!.requestId).toEqual(expect.any(String));
    expect(limits).toMatchObject({
      reason: null,
      before: { deposit_accounts: [], limits: { min_deposit: '1', max_deposit: '1000000000000000', min_withdrawal: '1', max_withdrawal: '1000000000000000' } },
      after: {
        deposit_accounts: [{ id: expect.any(String), bank_name: 'First Bank', account_number: '12-34', holder: 'Brand Ltd', active: true }],
        limits: { min_deposit: '500', max_deposit: '50000', min_withdrawal: '1000', max_withdrawal: '40000' },
      },
    });
    expect(contributions!.after).toEqual({ category_contributions: { SLOTS: 10000, LIVE_CASINO: 1000, TABLE: 0, OTHER: 0 } });
    expect(new Set(all.map(({ requestId }) => requestId)).size).toBe(3);
    expect(Date.parse(contributions!.createdAt)).toBeGreaterThanOrEqual(Date.parse(rolling!.createdAt));

    const first = (await history(brandId, { first: 2 })).body.data!._entities[0]!.configHistory;
    expect(first.totalCount).toBe(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map(({ node }) => node.id)).toEqual([contributions!.id, limits!.id]);
    const rest = (await history(brandId, { first: 2, after: first.pageInfo.endCursor })).body.data!._entities[0]!.configHistory;
    expect(rest.edges.map(({ node }) => node.id)).toEqual([rolling!.id]);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    // The history is the audit log's rows of those changes, so the audit log shows the reason too.
    const audited = await server.graphql<{ auditLog: { edges: { node: { id: string; reason: string | null } }[] } }>(
      `query ($id: String!) { auditLog(filter: { targetType: "brand", targetId: $id, action: "brand.config.update" }) { edges { node { id reason } } } }`,
      { id: brandId },
      signedIn(server.brands.demo, 'staff', everyBrandId),
    );
    expect(audited.body.data?.auditLog.edges.map(({ node }) => node)).toEqual(all.map(({ id, reason }) => ({ id, reason })));
  });

  it('records a change that left the config as it was, with no section changed', async () => {
    const brandId = await newBrand();
    await update(brandId, { depositRollingMultiplierBps: 0 }, 'no change meant');
    expect(await revisions(brandId)).toEqual([
      expect.objectContaining({ kind: 'UPDATE', changedSections: [], before: {}, after: {}, reason: 'no change meant' }),
    ]);
  });

  it('holds no revision of a change that failed: the revision is written in its transaction', async () => {
    const brandId = await newBrand();
    const before = await configOf(brandId);
    // The config row is updated before the unknown account is found: the whole change is undone.
    const unknownAccount = await server.graphql(UPDATE, { id: brandId, input: { depositRollingMultiplierBps: 5000, depositAccounts: [{ ...ACCOUNT, id: randomUUID() }] } }, everyBrand);
    expect(firstError(unknownAccount)?.code).toBe('NOT_FOUND');

    // A revision that cannot be written undoes its change too.
    await server.deps.prisma.$executeRawUnsafe(`
      CREATE FUNCTION admin.refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$`);
    await server.deps.prisma.$executeRawUnsafe(`
      CREATE TRIGGER refuse_audit BEFORE INSERT ON admin.audit_log FOR EACH ROW WHEN (NEW.reason = 'audit fails') EXECUTE FUNCTION admin.refuse_audit()`);
    try {
      const refused = await server.graphql(UPDATE, { id: brandId, input: { depositRollingMultiplierBps: 5000, depositAccounts: [ACCOUNT] }, reason: 'audit fails' }, everyBrand);
      expect(firstError(refused)?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await server.deps.prisma.$executeRawUnsafe('DROP TRIGGER refuse_audit ON admin.audit_log');
      await server.deps.prisma.$executeRawUnsafe('DROP FUNCTION admin.refuse_audit()');
    }
    expect(await configOf(brandId)).toEqual(before);
    expect(await revisions(brandId)).toEqual([]);
  });

  it('refuses a reason that is blank or longer than 500 characters, changing nothing', async () => {
    const brandId = await newBrand();
    for (const reason of ['   ', 'x'.repeat(501)]) {
      const refused = await server.graphql(UPDATE, { id: brandId, input: { depositRollingMultiplierBps: 5000 }, reason }, everyBrand);
      expect(firstError(refused)).toEqual({ code: 'BAD_USER_INPUT', message: 'reason must be 1 to 500 characters' });
    }
    expect((await configOf(brandId)).deposit_rolling_multiplier_bps).toBe(0);
    expect(await revisions(brandId)).toEqual([]);
  });

  it('needs brands.read and the brand in scope: others are refused', async () => {
    const acme = server.brands.acme.id;
    await update(acme, { depositRollingMultiplierBps: 20000 }, 'acme campaign');
    expect((await revisions(acme)).map(({ reason }) => reason)).toEqual(['acme campaign']);
    expect(firstError(await history(acme, {}, demoOnly))).toEqual({ code: 'FORBIDDEN', message: 'this brand is outside your scope' });
    const manageOnly = staffWith(server.brands.acme, everyBrandId, ['brands.manage'], { allBrands: true });
    expect(firstError(await history(acme, {}, manageOnly))).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the brands.read permission' });
    expect(firstError(await history(acme, {}, signedIn(server.brands.acme, 'player', randomUUID())))?.code).toBe('FORBIDDEN');
    expect(firstError(await history(acme, {}, anonymous(server.brands.acme)))?.code).toBe('UNAUTHENTICATED');
  });
});

describe('revertBrandConfig', () => {
  const revert = (brandId: string, revision: string, reason?: string, as = everyBrand) => server.graphql(REVERT, { id: brandId, revision, reason }, as);

  it('puts back what a revision changed, as a revision of its own, leaving later changes of other sections alone', async () => {
    const brandId = await newBrand();
    await update(brandId, { depositRollingMultiplierBps: 25000 });
    await update(brandId, { limits: { minDeposit: '5', maxDeposit: '500', minWithdrawal: '10', maxWithdrawal: '400' }, depositAccounts: [ACCOUNT] });
    await update(brandId, { depositRollingMultiplierBps: 30000 });
    const [, accountsAndLimits] = await revisions(brandId);
    const beforeRevert = await configOf(brandId);

    expect(firstError(await revert(brandId, accountsAndLimits!.id, 'wrong bank'))).toBeUndefined();
    const after = await configOf(brandId);
    expect(after).toEqual({
      ...beforeRevert,
      limits: accountsAndLimits!.before.limits,
      // The account the revision added stays, inactive: accounts are never deleted.
      deposit_accounts: [{ ...beforeRevert.deposit_accounts[0], active: false }],
    });
    expect(after.deposit_rolling_multiplier_bps).toBe(30000);
    const [reverted] = await revisions(brandId);
    expect(reverted).toMatchObject({
      kind: 'REVERT',
      reason: 'wrong bank',
      changedSections: ['DEPOSIT_ACCOUNTS', 'LIMITS'],
      before: { limits: accountsAndLimits!.after.limits, deposit_accounts: beforeRevert.deposit_accounts },
      after: { limits: accountsAndLimits!.before.limits, deposit_accounts: after.deposit_accounts },
    });

    // A revert is a revision like any other: reverting it puts the revision's change back.
    expect(firstError(await revert(brandId, reverted!.id))).toBeUndefined();
    expect(await configOf(brandId)).toEqual(beforeRevert);
    expect((await revisions(brandId)).map(({ kind }) => kind)).toEqual(['REVERT', 'REVERT', 'UPDATE', 'UPDATE', 'UPDATE']);
  });

  it('reverts the stale-request thresholds, and reads a revision written before the config had them as holding the defaults', async () => {
    const brandId = await newBrand();
    await update(brandId, { stalePendingAfter: { depositMinutes: 5, withdrawalMinutes: 60 } });
    const [changed] = await revisions(brandId);
    expect(changed).toMatchObject({
      changedSections: ['STALE_PENDING_AFTER'],
      before: { stale_pending_after_minutes: { deposit: 15, withdrawal: 30 } },
      after: { stale_pending_after_minutes: { deposit: 5, withdrawal: 60 } },
    });
    expect(firstError(await revert(brandId, changed!.id))).toBeUndefined();
    expect((await configOf(brandId)).stale_pending_after_minutes).toEqual({ deposit: 15, withdrawal: 30 });

    // An audit row from before the thresholds existed: its configs lack them on both sides.
    await update(brandId, { depositRollingMultiplierBps: 20000 });
    const [latest] = await revisions(brandId);
    await server.deps.prisma.$executeRawUnsafe(
      `UPDATE admin.audit_log SET before = before - 'stale_pending_after_minutes', after = after - 'stale_pending_after_minutes' WHERE id = $1::uuid`,
      latest!.id,
    );
    const [legacy] = await revisions(brandId);
    expect(legacy).toMatchObject({ changedSections: ['DEPOSIT_ROLLING_MULTIPLIER'], after: { deposit_rolling_multiplier_bps: 20000 } });
    expect(firstError(await revert(brandId, legacy!.id))).toBeUndefined();
    expect((await configOf(brandId)).deposit_rolling_multiplier_bps).toBe(0);
  });

  it('reverts the rolling expiry, and reads a revision written before the config had it as requirements that never expire', async () => {
    const brandId = await newBrand();
    await update(brandId, { rollingExpiryDays: 30 }, 'requirements lapse after a month');
    await update(brandId, { rollingExpiryDays: 90 });
    const [longer, month] = await revisions(brandId);
    expect(month).toMatchObject({ changedSections: ['ROLLING_EXPIRY'], before: { rolling_expiry_days: 0 }, after: { rolling_expiry_days: 30 } });
    expect(longer).toMatchObject({ changedSections: ['ROLLING_EXPIRY'], before: { rolling_expiry_days: 30 }, after: { rolling_expiry_days: 90 } });
    expect(firstError(await revert(brandId, month!.id))).toEqual({
      code: 'CONFLICT',
      message: `ROLLING_EXPIRY changed since revision ${month!.id}: revert the later revisions first`,
    });
    expect(firstError(await revert(brandId, longer!.id))).toBeUndefined();
    expect((await configOf(brandId)).rolling_expiry_days).toBe(30);
    expect(firstError(await revert(brandId, month!.id))).toBeUndefined();
    expect((await configOf(brandId)).rolling_expiry_days).toBe(0);

    // An audit row from before the expiry existed: its configs lack it on both sides, and read as 0 (never expire).
    await update(brandId, { rollingExpiryDays: 7 });
    await update(brandId, { depositRollingMultiplierBps: 20000 });
    const [latest] = await revisions(brandId);
    await server.deps.prisma.$executeRawUnsafe(
      `UPDATE admin.audit_log SET before = before - 'rolling_expiry_days', after = after - 'rolling_expiry_days' WHERE id = $1::uuid`,
      latest!.id,
    );
    const [legacy] = await revisions(brandId);
    expect(legacy).toMatchObject({ changedSections: ['DEPOSIT_ROLLING_MULTIPLIER'], after: { deposit_rolling_multiplier_bps: 20000 } });
    expect(firstError(await revert(brandId, legacy!.id))).toBeUndefined();
    expect(await configOf(brandId)).toMatchObject({ deposit_rolling_multiplier_bps: 0, rolling_expiry_days: 7 });
  });

  it('refuses with CONFLICT a revision whose sections changed since, changing nothing', async () => {
    const brandId = await newBrand();
    await update(brandId, { depositRollingMultiplierBps: 25000 });
    await update(brandId, { depositRollingMultiplierBps: 30000 });
    const [, first] = await revisions(brandId);
    const before = await configOf(brandId);
    expect(firstError(await revert(brandId, first!.id))).toEqual({
      code: 'CONFLICT',
      message: `DEPOSIT_ROLLING_MULTIPLIER changed since revision ${first!.id}: revert the later revisions first`,
    });
    expect(await configOf(brandId)).toEqual(before);
    expect(await revisions(brandId)).toHaveLength(2);
  });

  it("refuses an unknown revision, another brand's, one that changed nothing, and callers without brands.manage or the brand in scope", async () => {
    const brandId = await newBrand();
    await update(brandId, { depositRollingMultiplierBps: 0 });
    await update(brandId, { depositRollingMultiplierBps: 100 });
    const [changed, unchanged] = await revisions(brandId);
    const acme = server.brands.acme.id;
    await update(acme, { depositRollingMultiplierBps: 12345 });
    const [acmeRevision] = await revisions(acme);
    const before = { brand: await configOf(brandId), acme: await configOf(acme) };

    expect(firstError(await revert(brandId, randomUUID()))?.code).toBe('NOT_FOUND');
    expect(firstError(await revert(brandId, 'not-an-id'))?.code).toBe('NOT_FOUND');
    expect(firstError(await revert(brandId, acmeRevision!.id))?.code).toBe('NOT_FOUND');
    expect(firstError(await revert(brandId, unchanged!.id))).toEqual({ code: 'BAD_USER_INPUT', message: `revision ${unchanged!.id} changed nothing` });
    expect(firstError(await revert(acme, acmeRevision!.id, undefined, demoOnly))).toEqual({ code: 'FORBIDDEN', message: 'this brand is outside your scope' });
    const readOnly = staffWith(server.brands.demo, everyBrandId, ['brands.read'], { allBrands: true });
    expect(firstError(await revert(brandId, changed!.id, undefined, readOnly))).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the brands.manage permission' });
    expect(firstError(await revert(brandId, changed!.id, undefined, anonymous(server.brands.demo)))?.code).toBe('UNAUTHENTICATED');

    expect({ brand: await configOf(brandId), acme: await configOf(acme) }).toEqual(before);
    expect(await revisions(brandId)).toHaveLength(2);
  });
});
