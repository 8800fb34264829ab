import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '@rgb/contracts';
import { BRANDS_CHANGED_CHANNEL, type ForwardedContext } from '@rgb/kit';
import { firstError, type SeededTestSubgraph, startSeededTestSubgraph, staffWith, testSeedSecrets, waitFor } from '@rgb/kit/testing';
import { seedDemoData } from '../../../prisma/seed';
import { adminSubgraph } from '../src/index';

const MANAGE: Permission[] = ['brands.read', 'brands.manage'];

let server: SeededTestSubgraph;
let notices: Redis;
const noticed: string[] = [];
/** Staff of every brand, and staff of the demo brand only, both allowed to manage brands. */
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
  demoOnly = staffWith(server.brands.demo, demoOnlyId, MANAGE);
  notices = new Redis(server.deps.config.REDIS_URL);
  notices.on('message', (_channel: string, message: string) => noticed.push(message));
  await notices.subscribe(BRANDS_CHANGED_CHANNEL);
});
afterAll(async () => {
  await notices?.quit();
  await server?.close();
});

const BRAND_FIELDS = `id code name currency timezone status domains`;
const CONFIG_FIELDS = `config {
  depositRollingMultiplierBps
  categoryContributions { slotsBps liveCasinoBps tableBps otherBps }
  depositAccounts { id bankName accountNumber holder active }
  limits { minDeposit maxDeposit minWithdrawal maxWithdrawal }
  rollingExpiryDays
}`;
const CREATE = `mutation ($input: CreateBrandInput!) { createBrand(input: $input) { ${BRAND_FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateBrandInput!) { updateBrand(id: $id, input: $input) { ${BRAND_FIELDS} } }`;
const ADD_DOMAIN = `mutation ($id: ID!, $host: String!) { addBrandDomain(brandId: $id, host: $host) { domains } }`;
const REMOVE_DOMAIN = `mutation ($id: ID!, $host: String!) { removeBrandDomain(brandId: $id, host: $host) { domains } }`;
const UPDATE_CONFIG = `mutation ($id: ID!, $input: UpdateBrandConfigInput!) { updateBrandConfig(brandId: $id, input: $input) { ${CONFIG_FIELDS} } }`;
const BRANDS_WITH_CONFIG = `{ brands { code ${CONFIG_FIELDS} } }`;

type BrandAnswer = { id: string; code: string; name: string; currency: string; timezone: string; status: string; domains: string[] };

const unique = () => randomUUID().replaceAll('-', '').slice(0, 10);
const brandInput = (overrides: Record<string, unknown> = {}) => {
  const code = `b${unique()}`;
  return { code, name: 'Brand Under Test', currency: 'EUR', timezone: 'Europe/Berlin', domains: [`${code}.example.com`], ...overrides };
};
const createBrand = (input: Record<string, unknown>, as = everyBrand) => server.graphql<{ createBrand: BrandAnswer }>(CREATE, { input }, as);
const auditOf = (brandId: string) => server.deps.prisma.auditLog.findMany({ where: { targetType: 'brand', targetId: brandId }, orderBy: { createdAt: 'asc' } });
const brandCount = () => server.deps.prisma.brand.count();
const serviceGet = async (path: string) => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${await server.deps.serviceTokens.signService('test')}` } });
  expect(response.status).toBe(200);
  return response.json() as Promise<Record<string, any>>;
};

async function newBrand(): Promise<BrandAnswer> {
  const created = await createBrand(brandInput());
  expect(firstError(created)).toBeUndefined();
  return created.body.data!.createBrand;
}

describe('createBrand', () => {
  it('creates a brand with its domains and the default config, audits it and tells the catalogues, which list it', async () => {
    const input = brandInput({ name: '  New Casino ' });
    input.domains = [`${input.code}.example.com`, `www.${input.code}.example.com`];
    const created = await createBrand(input);
    const brand = created.body.data!.createBrand;
    expect(brand).toEqual({ id: expect.any(String), code: input.code, name: 'New Casino', currency: 'EUR', timezone: 'Europe/Berlin', status: 'ACTIVE', domains: input.domains });

    const [audit, ...more] = await auditOf(brand.id);
    expect(more).toEqual([]);
    expect(audit).toMatchObject({ staffId: everyBrandId, brandId: server.brands.demo.id, action: 'brand.create', before: null });
    expect(audit?.after).toEqual({ code: input.code, name: 'New Casino', currency: 'EUR', timezone: 'Europe/Berlin', status: 'ACTIVE', domains: [...input.domains].sort() });
    await waitFor('the brand change notice', () => noticed.includes(brand.id));

    const { brands } = await serviceGet('/internal/brands');
    expect(brands).toContainEqual({ id: brand.id, code: input.code, name: 'New Casino', currency: 'EUR', timezone: 'Europe/Berlin', status: 'ACTIVE', domains: input.domains });
    const { config } = await serviceGet(`/internal/brands/${brand.id}/config`);
    expect(config).toEqual({
      brand_id: brand.id,
      currency: 'EUR',
      deposit_rolling_multiplier_bps: 0,
      category_contributions: { SLOTS: 10000, LIVE_CASINO: 10000, TABLE: 10000, OTHER: 10000 },
      deposit_accounts: [],
      limits: { min_deposit: '1', max_deposit: '1000000000000000', min_withdrawal: '1', max_withdrawal: '1000000000000000' },
      stale_pending_after_minutes: { deposit: 15, withdrawal: 30 },
      rolling_expiry_days: 0,
    });
  });

  it.each([
    ['an upper-case code', { code: 'Acme2' }, 'BAD_USER_INPUT'],
    ['a code with a dash', { code: 'acme-2' }, 'BAD_USER_INPUT'],
    ['an unknown currency', { currency: 'XYZ' }, 'BAD_USER_INPUT'],
    ['a lower-case currency', { currency: 'eur' }, 'BAD_USER_INPUT'],
    ['a time zone that is not IANA', { timezone: 'Mars/Olympus' }, 'BAD_USER_INPUT'],
    ['an offset for a time zone', { timezone: '+01:00' }, 'BAD_USER_INPUT'],
    ['an offset after a zone name', { timezone: 'Etc/GMT+1:00' }, 'BAD_USER_INPUT'],
    ['an upper-case host', { domains: ['Shop.example.com'] }, 'BAD_USER_INPUT'],
    ['a host with a port', { domains: ['shop.example.com:8080'] }, 'BAD_USER_INPUT'],
    ['no domain', { domains: [] }, 'BAD_USER_INPUT'],
    ['a host of another brand', { domains: ['acme.localhost'] }, 'CONFLICT'],
    ['the code of another brand', { code: 'acme' }, 'CONFLICT'],
  ])('refuses %s with %s, creating nothing', async (_what, overrides, code) => {
    const before = await brandCount();
    expect(firstError(await createBrand(brandInput(overrides)))?.code).toBe(code);
    expect(await brandCount()).toBe(before);
  });

  it('is FORBIDDEN without brands.manage, and to staff without every brand in scope', async () => {
    const readOnly = staffWith(server.brands.demo, everyBrandId, ['brands.read'], { allBrands: true });
    const before = await brandCount();
    expect(firstError(await createBrand(brandInput(), readOnly))?.code).toBe('FORBIDDEN');
    // Asked before the input is looked at: bad input tells such a caller nothing either.
    expect(firstError(await createBrand(brandInput({ code: 'BAD', currency: 'XYZ' }), readOnly))?.code).toBe('FORBIDDEN');
    expect(firstError(await createBrand(brandInput(), demoOnly))).toEqual({ code: 'FORBIDDEN', message: 'only staff with every brand may create a brand' });
    expect(await brandCount()).toBe(before);
  });
});

describe('updateBrand', () => {
  it('changes name, time zone and status with before and after in the audit log; code and currency stay', async () => {
    const brand = await newBrand();
    const updated = await server.graphql<{ updateBrand: BrandAnswer }>(UPDATE, { id: brand.id, input: { name: 'Renamed', timezone: 'US/Eastern', status: 'SUSPENDED' } }, everyBrand);
    expect(updated.body.data?.updateBrand).toEqual({ ...brand, name: 'Renamed', timezone: 'US/Eastern', status: 'SUSPENDED' });
    const audit = (await auditOf(brand.id)).at(-1);
    expect(audit).toMatchObject({ action: 'brand.update', before: expect.objectContaining({ name: brand.name, status: 'ACTIVE' }), after: expect.objectContaining({ name: 'Renamed', status: 'SUSPENDED', currency: 'EUR' }) });
    await waitFor('the brand change notice', () => noticed.filter((id) => id === brand.id).length >= 2);
  });

  it('refuses a bad time zone, an unknown brand and a brand outside the scope, changing nothing', async () => {
    const acme = server.brands.acme.id;
    const update = (id: string, input: Record<string, unknown>, as = everyBrand) => server.graphql(UPDATE, { id, input }, as);
    expect(firstError(await update(acme, { timezone: 'Nowhere' }))?.code).toBe('BAD_USER_INPUT');
    expect(firstError(await update(randomUUID(), { name: 'x' }))?.code).toBe('NOT_FOUND');
    expect(firstError(await update(acme, { name: 'Taken Over' }, demoOnly))).toEqual({ code: 'FORBIDDEN', message: 'this brand is outside your scope' });
    expect(firstError(await update(acme, { name: 'x' }, staffWith(server.brands.demo, everyBrandId, ['brands.read'], { allBrands: true })))?.code).toBe('FORBIDDEN');
    expect(await server.deps.prisma.brand.findUnique({ where: { id: acme } })).toMatchObject({ name: 'Acme Casino', timezone: 'Asia/Seoul' });
    expect(await auditOf(acme)).toEqual([]);
  });
});

describe('addBrandDomain and removeBrandDomain', () => {
  it('adds and removes a host, each audited and announced', async () => {
    const brand = await newBrand();
    const extra = `more.${brand.code}.example.com`;
    const added = await server.graphql<{ addBrandDomain: { domains: string[] } }>(ADD_DOMAIN, { id: brand.id, host: extra }, everyBrand);
    expect(added.body.data?.addBrandDomain.domains).toEqual([...brand.domains, extra]);
    const removed = await server.graphql<{ removeBrandDomain: { domains: string[] } }>(REMOVE_DOMAIN, { id: brand.id, host: brand.domains[0] }, everyBrand);
    expect(removed.body.data?.removeBrandDomain.domains).toEqual([extra]);
    const audit = await auditOf(brand.id);
    expect(audit.map(({ action }) => action)).toEqual(['brand.create', 'brand.domain.add', 'brand.domain.remove']);
    expect(audit[2]).toMatchObject({ before: expect.objectContaining({ domains: [extra, brand.domains[0]].sort() }), after: expect.objectContaining({ domains: [extra] }) });
    await waitFor('three brand change notices', () => noticed.filter((id) => id === brand.id).length >= 3);
  });

  it('refuses a host of another brand, a bad host, the last domain, a host the brand lacks and a brand outside the scope', async () => {
    const brand = await newBrand();
    const add = (host: string, as = everyBrand, id = brand.id) => server.graphql(ADD_DOMAIN, { id, host }, as);
    const remove = (host: string, as = everyBrand, id = brand.id) => server.graphql(REMOVE_DOMAIN, { id, host }, as);
    expect(firstError(await add('acme.localhost'))).toEqual({ code: 'CONFLICT', message: 'acme.localhost is a domain of a brand already' });
    expect(firstError(await add('bad host'))?.code).toBe('BAD_USER_INPUT');
    expect(firstError(await remove(brand.domains[0]!))?.code).toBe('CONFLICT');
    expect(firstError(await remove('localhost'))?.code).toBe('NOT_FOUND');
    expect(firstError(await add(`x.${brand.code}.example.com`, demoOnly))?.code).toBe('FORBIDDEN');
    expect(firstError(await remove('acme.localhost', demoOnly, server.brands.acme.id))?.code).toBe('FORBIDDEN');
    const domains = await server.deps.prisma.brandDomain.findMany({ where: { brandId: { in: [brand.id, server.brands.acme.id] } } });
    expect(domains.map(({ host }) => host).sort()).toEqual(['acme.localhost', brand.domains[0]]);
    expect((await auditOf(brand.id)).map(({ action }) => action)).toEqual(['brand.create']);
  });
});

describe('Brand.config and updateBrandConfig', () => {
  const fullInput = {
    depositRollingMultiplierBps: 25000,
    categoryContributions: { slotsBps: 10000, liveCasinoBps: 500, tableBps: 2000, otherBps: 0 },
    limits: { minDeposit: '5.50', maxDeposit: '2500', minWithdrawal: '20', maxWithdrawal: '2500.00' },
    depositAccounts: [{ bankName: 'First Bank', accountNumber: '12-34', holder: 'Brand Ltd', active: true }],
    rollingExpiryDays: 45,
  };

  it('shows the seeded config of the brands in scope: acme rolls 100 % of a deposit within 30 days, slots in full and live casino at 10 %', async () => {
    const asEvery = await server.graphql<{ brands: { code: string; config: Record<string, any> }[] }>(BRANDS_WITH_CONFIG, undefined, everyBrand);
    const byCode = Object.fromEntries(asEvery.body.data!.brands.map(({ code, config }) => [code, config]));
    expect(byCode.acme).toMatchObject({
      depositRollingMultiplierBps: 10000,
      categoryContributions: { slotsBps: 10000, liveCasinoBps: 1000, tableBps: 0, otherBps: 0 },
      limits: { minDeposit: '10000', maxDeposit: '10000000', minWithdrawal: '10000', maxWithdrawal: '5000000' },
      rollingExpiryDays: 30,
    });
    expect(byCode.demo).toMatchObject({ depositRollingMultiplierBps: 0, rollingExpiryDays: 0, limits: { minDeposit: '10.00', maxDeposit: '10000.00', minWithdrawal: '20.00', maxWithdrawal: '5000.00' } });
    const asDemoOnly = await server.graphql<{ brands: { code: string }[] }>(BRANDS_WITH_CONFIG, undefined, demoOnly);
    expect(asDemoOnly.body.data?.brands.map(({ code }) => code)).toEqual(['demo']);
  });

  it('changes rolling, its expiry, contributions, limits and accounts in one audited change that other services read in minor units', async () => {
    const brand = await newBrand();
    const updated = await server.graphql<{ updateBrandConfig: { config: Record<string, any> } }>(UPDATE_CONFIG, { id: brand.id, input: fullInput }, everyBrand);
    const config = updated.body.data!.updateBrandConfig.config;
    expect(config).toEqual({
      depositRollingMultiplierBps: 25000,
      categoryContributions: fullInput.categoryContributions,
      depositAccounts: [{ id: expect.any(String), ...fullInput.depositAccounts[0] }],
      limits: { minDeposit: '5.50', maxDeposit: '2500.00', minWithdrawal: '20.00', maxWithdrawal: '2500.00' },
      rollingExpiryDays: 45,
    });
    const accountId = config.depositAccounts[0].id as string;

    // An account is changed by its id (here deactivated) and another added; only the rolling multiplier and expiry (to the longest) change besides.
    const second = await server.graphql<{ updateBrandConfig: { config: Record<string, any> } }>(
      UPDATE_CONFIG,
      {
        id: brand.id,
        input: {
          depositRollingMultiplierBps: 0,
          rollingExpiryDays: 3650,
          depositAccounts: [
            { id: accountId, bankName: 'First Bank', accountNumber: '12-34', holder: 'Brand Ltd', active: false },
            { bankName: 'Second Bank', accountNumber: '56-78', holder: 'Brand Ltd', active: true },
          ],
        },
      },
      everyBrand,
    );
    expect(second.body.data?.updateBrandConfig.config).toMatchObject({
      depositRollingMultiplierBps: 0,
      rollingExpiryDays: 3650,
      categoryContributions: fullInput.categoryContributions,
      depositAccounts: [expect.objectContaining({ id: accountId, active: false }), expect.objectContaining({ bankName: 'Second Bank', active: true })],
    });

    const { config: served } = await serviceGet(`/internal/brands/${brand.id}/config`);
    expect(served).toMatchObject({
      deposit_rolling_multiplier_bps: 0,
      category_contributions: { SLOTS: 10000, LIVE_CASINO: 500, TABLE: 2000, OTHER: 0 },
      limits: { min_deposit: '550', max_deposit: '250000', min_withdrawal: '2000', max_withdrawal: '250000' },
      rolling_expiry_days: 3650,
    });
    const audit = (await auditOf(brand.id)).filter(({ action }) => action === 'brand.config.update');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({
      before: expect.objectContaining({ deposit_rolling_multiplier_bps: 0, rolling_expiry_days: 0 }),
      after: expect.objectContaining({ deposit_rolling_multiplier_bps: 25000, rolling_expiry_days: 45 }),
    });
    expect(audit[1]?.after).toEqual(served);
    await waitFor('the config change notices', () => noticed.filter((id) => id === brand.id).length >= 3);
    expect((await serviceGet(`/internal/brands/${randomUUID()}/config`)).config).toBeNull();
  });

  it.each([
    ['a rolling multiplier above 100000', { depositRollingMultiplierBps: 100001 }],
    ['a negative rolling multiplier', { depositRollingMultiplierBps: -1 }],
    ['a contribution above 10000', { categoryContributions: { ...fullInput.categoryContributions, liveCasinoBps: 10001 } }],
    ['a negative contribution', { categoryContributions: { ...fullInput.categoryContributions, otherBps: -5 } }],
    ['a minimum deposit above the maximum', { limits: { ...fullInput.limits, minDeposit: '2500.01' } }],
    ['a minimum withdrawal above the maximum', { limits: { ...fullInput.limits, minWithdrawal: '3000' } }],
    ['an amount with too many decimals', { limits: { ...fullInput.limits, minDeposit: '5.505' } }],
    ['a zero limit', { limits: { ...fullInput.limits, minWithdrawal: '0' } }],
    ['an empty bank name', { depositAccounts: [{ ...fullInput.depositAccounts[0], bankName: ' ' }] }],
    ['a rolling expiry above 3650 days', { rollingExpiryDays: 3651 }],
    ['a negative rolling expiry', { rollingExpiryDays: -1 }],
  ])('refuses %s with BAD_USER_INPUT, changing nothing', async (_what, input) => {
    const demo = server.brands.demo.id;
    const before = await serviceGet(`/internal/brands/${demo}/config`);
    expect(firstError(await server.graphql(UPDATE_CONFIG, { id: demo, input: { depositRollingMultiplierBps: 5000, ...input } }, everyBrand))?.code).toBe('BAD_USER_INPUT');
    expect(await serviceGet(`/internal/brands/${demo}/config`)).toEqual(before);
  });

  it('refuses KRW amounts with decimals, a rolling expiry out of range, another brand\'s account, a brand outside the scope and a caller without the permission', async () => {
    const acme = server.brands.acme.id;
    const before = await serviceGet(`/internal/brands/${acme}/config`);
    const update = (input: Record<string, unknown>, as = everyBrand) => server.graphql(UPDATE_CONFIG, { id: acme, input }, as);
    expect(firstError(await update({ limits: { minDeposit: '10000.5', maxDeposit: '20000', minWithdrawal: '1', maxWithdrawal: '2' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'limits.minDeposit: KRW amounts take no decimals',
    });
    expect(firstError(await update({ rollingExpiryDays: 3651 }))).toEqual({ code: 'BAD_USER_INPUT', message: 'rollingExpiryDays must be 0 to 3650 days' });
    const demoAccount = (await server.deps.prisma.brandDepositAccount.findFirstOrThrow({ where: { brandId: server.brands.demo.id } })).id;
    expect(firstError(await update({ depositAccounts: [{ id: demoAccount, bankName: 'B', accountNumber: '1', holder: 'H', active: false }] }))?.code).toBe('NOT_FOUND');
    expect(firstError(await update({ depositRollingMultiplierBps: 0 }, demoOnly))?.code).toBe('FORBIDDEN');
    expect(firstError(await update({ depositRollingMultiplierBps: 0 }, staffWith(server.brands.demo, everyBrandId, ['brands.read'], { allBrands: true })))?.code).toBe('FORBIDDEN');
    const readAcme = await server.graphql(`query { currentBrand { ${CONFIG_FIELDS} } }`, undefined, staffWith(server.brands.acme, everyBrandId, [], { allBrands: true }));
    expect(firstError(readAcme)?.code).toBe('FORBIDDEN');
    expect(await serviceGet(`/internal/brands/${acme}/config`)).toEqual(before);
    expect(await auditOf(acme)).toEqual([]);
  });

  it('is left alone by a second seed: a changed config stays, no account is added twice', async () => {
    const acme = server.brands.acme.id;
    const changed = await server.graphql(UPDATE_CONFIG, { id: acme, input: { depositRollingMultiplierBps: 30000 } }, everyBrand);
    expect(firstError(changed)).toBeUndefined();
    const before = await serviceGet(`/internal/brands/${acme}/config`);
    await seedDemoData(server.deps.prisma, testSeedSecrets('another-password'));
    const after = await serviceGet(`/internal/brands/${acme}/config`);
    expect(after).toEqual(before);
    expect(after.config).toMatchObject({ deposit_rolling_multiplier_bps: 30000, deposit_accounts: [expect.objectContaining({ bank_name: 'Acme Bank' })] });
  });
});
