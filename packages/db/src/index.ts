export { createPrismaClient, statementNames, type PrismaClientOptions } from './client';
export { uniqueViolation } from './errors';
export {
  applyMigrations,
  createMigration,
  ensureDatabase,
  type ApplyMigrationsOptions,
  type CreateMigrationOptions,
  type CreatedMigration,
} from './migrate';
export * from './generated/prisma/client';
