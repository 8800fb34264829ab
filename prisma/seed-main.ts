// npm run db:seed: the demo data, where absent (the library is seed.ts: npm start seeds through it too).
import { createPrismaClient } from '@rgb/db';
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL, publishBrandsChanged } from '@rgb/kit';
import { LOCAL_ROUTER_URL, seedDemoData, seedSecrets } from './seed';

const prisma = createPrismaClient({ databaseUrl: process.env.DATABASE_URL || LOCAL_DATABASE_URL, applicationName: 'seed' });
try {
  // ROUTER_URL: where the RGS's platform operator pays (the router as the RGS reaches it).
  await seedDemoData(prisma, seedSecrets(), { routerUrl: process.env.ROUTER_URL || LOCAL_ROUTER_URL });
  await publishBrandsChanged(process.env.REDIS_URL || LOCAL_REDIS_URL);
  process.stdout.write('demo data seeded\n');
} finally {
  await prisma.$disconnect();
}
