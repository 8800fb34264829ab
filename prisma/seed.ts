import { hashPassword } from '@rgb/auth';
import { PERMISSION_NAMES, RGS_PROVIDER_CODE } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { loadConfig, rgsLocalDefaults } from '@rgb/kit';
import { createOperator, SecretBox } from '@rgb/rgs/operators';
import { z } from 'zod';

/** The demo data of docs/API.md ("Demo data"), as far as the domains that exist own it. */
export const DEMO_BRANDS = [
  {
    code: 'demo',
    name: 'Demo Casino',
    currency: 'USD',
    timezone: 'UTC',
    domains: ['localhost', '127.0.0.1'],
    // Deposits carry no rolling requirement, and requirements never expire; limits in cents.
    config: {
      depositRollingMultiplierBps: 0,
      rollingExpiryDays: 0,
      minDepositMinor: 1_000n,
      maxDepositMinor: 1_000_000n,
      minWithdrawalMinor: 2_000n,
      maxWithdrawalMinor: 500_000n,
    },
    depositAccounts: [{ bankName: 'Demo Bank', accountNumber: '000-111-222', holder: 'Demo Casino Ltd' }],
  },
  {
    code: 'acme',
    name: 'Acme Casino',
    currency: 'KRW',
    timezone: 'Asia/Seoul',
    domains: ['acme.localhost'],
    // A deposit must be wagered once (100 %) within 30 days: slots count in full, live casino 10 %, the rest not at all.
    config: {
      depositRollingMultiplierBps: 10_000,
      rollingExpiryDays: 30,
      slotsContributionBps: 10_000,
      liveCasinoContributionBps: 1_000,
      tableContributionBps: 0,
      otherContributionBps: 0,
      minDepositMinor: 10_000n,
      maxDepositMinor: 10_000_000n,
      minWithdrawalMinor: 10_000n,
      maxWithdrawalMinor: 5_000_000n,
    },
    depositAccounts: [{ bankName: 'Acme Bank', accountNumber: '110-222-333444', holder: 'Acme Casino Co.' }],
  },
] as const;

/** The demo coupon: 10.00 on `demo`, no wagering requirement, once per player, for ever. */
export const DEMO_COUPON = { brand: 'demo', code: 'WELCOME10', name: 'Welcome bonus', amountMinor: 1_000n, rollingMultiplierBps: 0, perPlayerLimit: 1 } as const;

/**
 * The demo agent: a top-level agent allowed on `demo`. Its id is fixed so the agent
 * domain's row and the admin domain's allow-list name the same agent.
 */
export const DEMO_AGENT = { id: '019a0000-0000-7000-8000-0000000000a1', code: 'AG1', name: 'Demo agent', brands: ['demo'] } as const;

/** The demo recon device: the phone forwarding `acme`'s bank texts (the SMS webhook's `device_id`). */
export const DEMO_RECON_DEVICE = { id: 'acme-phone', brand: 'acme', label: 'Acme deposit phone' } as const;

/** The seeded role of the seeded `admin`. */
export const SUPERADMIN_ROLE = 'superadmin';

export interface SeedSecrets {
  adminPassword: string;
  /** The demo agent AG1's password. */
  agentPassword: string;
  demoProviderSecret: string;
  rgsProviderSecret: string;
  /** The RGS platform operator's X-Operator-Key (stored as its hash; the game presents it). */
  rgsOperatorKey: string;
  /** The key the RGS seals secrets under: the seed seals the platform operator's provider secret with it. */
  rgsSecretsKey: string;
}

/** The demo secrets: local defaults outside production, required (and not the local value) in production. */
export function seedSecrets(env: NodeJS.ProcessEnv = process.env): SeedSecrets {
  const secret = z.string().min(16, 'must be at least 16 characters');
  const config = loadConfig(
    z.object({
      ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters'),
      AGENT_PASSWORD: z.string().min(8, 'must be at least 8 characters'),
      PROVIDER_DEMO_SECRET: secret,
      PROVIDER_RGS_SECRET: secret,
      RGS_OPERATOR_KEY: secret,
      RGS_SECRETS_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)'),
    }),
    {
      env,
      localDefaults: {
        ADMIN_PASSWORD: 'admin-local-pw',
        AGENT_PASSWORD: 'agent-local-pw',
        PROVIDER_DEMO_SECRET: 'demo-provider-secret',
        PROVIDER_RGS_SECRET: 'rgs-provider-secret',
        ...rgsLocalDefaults,
      },
    },
  );
  return {
    adminPassword: config.ADMIN_PASSWORD,
    agentPassword: config.AGENT_PASSWORD,
    demoProviderSecret: config.PROVIDER_DEMO_SECRET,
    rgsProviderSecret: config.PROVIDER_RGS_SECRET,
    rgsOperatorKey: config.RGS_OPERATOR_KEY,
    rgsSecretsKey: config.RGS_SECRETS_KEY,
  };
}

/** The local router: where the RGS's platform operator pays unless the seed is told otherwise. */
export const LOCAL_ROUTER_URL = 'http://127.0.0.1:8080';

/** The RGS's demo game: a dice pick pays 6 x (1 - 1 %) = 5.94 times the stake. */
const RGS_GAMES = [{ code: 'rgs-dice', name: 'Provably Fair Dice', houseEdgeBps: 100 }] as const;

/**
 * The RGS's platform operator: the platform itself, paying through its router as provider `rgs`,
 * with limits per currency of the demo brands (a bet in a currency without limits is refused).
 */
function platformOperator(secrets: SeedSecrets, routerUrl: string) {
  return {
    code: 'platform',
    name: 'RGB platform',
    apiKey: secrets.rgsOperatorKey,
    callbackBaseUrl: routerUrl,
    providerCode: RGS_PROVIDER_CODE,
    providerSecret: secrets.rgsProviderSecret,
    allowedJurisdictions: ['MT', 'GB', 'CA'],
    defaultJurisdiction: 'MT',
    timezone: 'UTC',
    limits: [
      { currency: 'USD', maxBetMinor: 100_000n, dailyLossLimitMinor: 1_000_000n, dailyWinLimitMinor: 5_000_000n },
      { currency: 'KRW', maxBetMinor: 1_000_000n, dailyLossLimitMinor: 10_000_000n, dailyWinLimitMinor: 50_000_000n },
    ],
  };
}

/**
 * Creates what is absent and leaves what exists alone, so re-running never resets a changed
 * password. `routerUrl`: where the RGS's platform operator, when created, sends its callbacks.
 */
export async function seedDemoData(prisma: PrismaClient, secrets: SeedSecrets, { routerUrl = LOCAL_ROUTER_URL }: { routerUrl?: string } = {}): Promise<void> {
  for (const brand of DEMO_BRANDS) {
    const row = await prisma.brand.upsert({
      where: { code: brand.code },
      create: { code: brand.code, name: brand.name, currency: brand.currency, timezone: brand.timezone },
      update: {},
    });
    for (const host of brand.domains) {
      await prisma.brandDomain.upsert({ where: { host }, create: { host, brandId: row.id }, update: {} });
    }
    const config = await prisma.brandConfig.findUnique({ where: { brandId: row.id }, select: { brandId: true } });
    if (!config) {
      await prisma.brandConfig.create({ data: { brandId: row.id, ...brand.config } });
      await prisma.brandDepositAccount.createMany({ data: brand.depositAccounts.map((account) => ({ brandId: row.id, ...account })) });
    }
  }
  if (!(await prisma.agent.findUnique({ where: { id: DEMO_AGENT.id } }))) {
    await prisma.agent.create({
      data: { id: DEMO_AGENT.id, code: DEMO_AGENT.code, name: DEMO_AGENT.name, passwordHash: await hashPassword(secrets.agentPassword), path: '/', commissionRateBps: 0 },
    });
  }
  for (const code of DEMO_AGENT.brands) {
    const brand = await prisma.brand.findUniqueOrThrow({ where: { code } });
    await prisma.agentBrand.upsert({ where: { agentId_brandId: { agentId: DEMO_AGENT.id, brandId: brand.id } }, create: { agentId: DEMO_AGENT.id, brandId: brand.id }, update: {} });
  }
  const deviceBrand = await prisma.brand.findUniqueOrThrow({ where: { code: DEMO_RECON_DEVICE.brand } });
  await prisma.reconDevice.upsert({
    where: { id: DEMO_RECON_DEVICE.id },
    create: { id: DEMO_RECON_DEVICE.id, brandId: deviceBrand.id, label: DEMO_RECON_DEVICE.label },
    update: {},
  });
  const couponBrand = await prisma.brand.findUniqueOrThrow({ where: { code: DEMO_COUPON.brand } });
  const couponCode = { brandId_code: { brandId: couponBrand.id, code: DEMO_COUPON.code } };
  if (!(await prisma.couponCode.findUnique({ where: couponCode }))) {
    await prisma.couponCampaign.create({
      data: {
        brandId: couponBrand.id,
        name: DEMO_COUPON.name,
        currency: couponBrand.currency,
        amount: DEMO_COUPON.amountMinor,
        rollingMultiplierBps: DEMO_COUPON.rollingMultiplierBps,
        validFrom: new Date(0),
        perPlayerLimit: DEMO_COUPON.perPlayerLimit,
        codes: { create: { brandId: couponBrand.id, code: DEMO_COUPON.code, singleUse: false } },
      },
    });
  }
  const providers = [
    {
      code: 'demo',
      name: 'Demo Provider',
      secret: secrets.demoProviderSecret,
      launchUrl: 'http://localhost:8080/demo-provider/play',
      games: [
        { code: 'demo-slot', name: 'Demo Slot', category: 'SLOTS' },
        { code: 'demo-live', name: 'Demo Live Roulette', category: 'LIVE_CASINO' },
      ],
    },
    {
      code: RGS_PROVIDER_CODE,
      name: 'RGB Remote Gaming Server',
      secret: secrets.rgsProviderSecret,
      launchUrl: 'http://localhost:8090/play',
      games: [{ code: 'rgs-dice', name: 'Provably Fair Dice', category: 'TABLE' }],
    },
  ] as const;
  for (const { games, ...provider } of providers) {
    const row = await prisma.provider.upsert({ where: { code: provider.code }, create: provider, update: {} });
    for (const game of games) {
      await prisma.game.upsert({ where: { code: game.code }, create: { ...game, providerId: row.id }, update: {} });
    }
  }
  for (const game of RGS_GAMES) await prisma.rgsGame.upsert({ where: { code: game.code }, create: game, update: {} });
  await createOperator(prisma, new SecretBox(secrets.rgsSecretsKey), platformOperator(secrets, routerUrl));
  // The role holds every permission of the catalogue, the ones added since the last seed too.
  const superadmin = await prisma.role.upsert({
    where: { name: SUPERADMIN_ROLE },
    create: { name: SUPERADMIN_ROLE, description: 'Every permission' },
    update: {},
  });
  await prisma.rolePermission.createMany({
    data: PERMISSION_NAMES.map((permission) => ({ roleId: superadmin.id, permission })),
    skipDuplicates: true,
  });
  if (!(await prisma.staff.findUnique({ where: { username: 'admin' } }))) {
    await prisma.staff.create({
      data: {
        username: 'admin',
        passwordHash: await hashPassword(secrets.adminPassword),
        allBrands: true,
        roles: { create: { roleId: superadmin.id } },
      },
    });
  }
}
