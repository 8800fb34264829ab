export { createPrismaClient, type PrismaClientOptions } from './client';
export { PrismaClient, Prisma } from './generated/prisma/client';
export * from './generated/prisma/enums';
export type * from './generated/prisma/models';
