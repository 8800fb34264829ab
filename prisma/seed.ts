import { pathToFileURL } from 'node:url';
import { hashPassword } from '@rgb/auth';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL, loadConfig, publishBrandsChanged } from '@rgb/kit';
import { z } from 'zod';

/** The demo data of CONTRACT.md ("Demo data"), as far as the domains that exist own it. */
export const DEMO_BRANDS = [
  { code: 'demo', name: 'Demo Casino', currency: 'USD', timezone: 'UTC', domains: ['localhost', '127.0.0.1'] },
  { code: 'acme', name: 'Acme Casino', currency: 'KRW', timezone: 'Asia/Seoul', domains: ['acme.localhost'] },
] as const;

export interface SeedSecrets {
  adminPassword: string;
}

/** The demo secrets: local defaults outside production, required (and not the local value) in production. */
export function seedSecrets(env: NodeJS.ProcessEnv = process.env): SeedSecrets {
  const config = loadConfig(z.object({ ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters') }), {
    env,
    localDefaults: { ADMIN_PASSWORD: 'admin-local-pw' },
  });
  return { adminPassword: config.ADMIN_PASSWORD };
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
  }
  if (!(await prisma.staff.findUnique({ where: { username: 'admin' } }))) {
    await prisma.staff.create({
      data: { username: 'admin', passwordHash: await hashPassword(secrets.adminPassword), allBrands: true },
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const prisma = createPrismaClient({ databaseUrl: process.env.DATABASE_URL || LOCAL_DATABASE_URL, applicationName: 'seed' });
  try {
    await seedDemoData(prisma, seedSecrets());
    await publishBrandsChanged(process.env.REDIS_URL || LOCAL_REDIS_URL);
    process.stdout.write('demo data seeded\n');
  } finally {
    await prisma.$disconnect();
  }
}
