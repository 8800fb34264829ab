import { hashPassword } from '@rgb/auth';
import { PERMISSION_NAMES } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { loadConfig } from '@rgb/kit';
import { z } from 'zod';

/** The demo data of CONTRACT.md ("Demo data"), as far as the domains that exist own it. */
export const DEMO_BRANDS = [
  {
    code: 'demo',
    name: 'Demo Casino',
    currency: 'USD',
    timezone: 'UTC',
    domains: ['localhost', '127.0.0.1'],
    // Deposits carry no rolling requirement; limits in cents.
    config: {
      depositRollingMultiplierBps: 0,
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
    // A deposit must be wagered once (100 %): slots count in full, live casino 10 %, the rest not at all.
    config: {
      depositRollingMultiplierBps: 10_000,
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

/** The seeded role of the seeded `admin`. */
export const SUPERADMIN_ROLE = 'superadmin';

export interface SeedSecrets {
  adminPassword: string;
  demoProviderSecret: string;
  rgsProviderSecret: string;
}

/** The demo secrets: local defaults outside production, required (and not the local value) in production. */
export function seedSecrets(env: NodeJS.ProcessEnv = process.env): SeedSecrets {
  const secret = z.string().min(16, 'must be at least 16 characters');
  const config = loadConfig(
    z.object({ ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters'), PROVIDER_DEMO_SECRET: secret, PROVIDER_RGS_SECRET: secret }),
    {
      env,
      localDefaults: {
        ADMIN_PASSWORD: 'admin-local-pw',
        PROVIDER_DEMO_SECRET: 'demo-provider-secret',
        PROVIDER_RGS_SECRET: 'rgs-provider-secret',
      },
    },
  );
  return { adminPassword: config.ADMIN_PASSWORD, demoProviderSecret: config.PROVIDER_DEMO_SECRET, rgsProviderSecret: config.PROVIDER_RGS_SECRET };
}

/** Creates what is absent and leaves what exists alone, so re-running never resets a changed password. */
export async function seedDemoData(prisma: PrismaClient, secrets: SeedSecrets): Promise<void> {
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
      code: 'rgs',
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
