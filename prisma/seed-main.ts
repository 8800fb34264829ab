// npm run db:seed: the demo data, where absent (the library is seed.ts: npm start seeds through it too).
import { createPrismaClient } from '@rgb/db';
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL, publishBrandsChanged } from '@rgb/kit';
import { seedDemoData, seedSecrets } from './seed';

const prisma = createPrismaClient({ databaseUrl: process.env.DATABASE_URL || LOCAL_DATABASE_URL, applicationName: 'seed' });
try {
  await seedDemoData(prisma, seedSecrets());
  await publishBrandsChanged(process.env.REDIS_URL || LOCAL_REDIS_URL);
  process.stdout.write('demo data seeded\n');
} finally {
  await prisma.$disconnect();
}
