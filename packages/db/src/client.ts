import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface PrismaClientOptions {
  databaseUrl: string;
  /** Connections this process may hold; every service sizes its own pool. */
  poolSize?: number;
  /** Shown in pg_stat_activity, so a DBA sees which service holds a connection. */
  applicationName?: string;
}

export function createPrismaClient({ databaseUrl, poolSize = 10, applicationName }: PrismaClientOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    application_name: applicationName,
  });
  return new PrismaClient({ adapter });
}
