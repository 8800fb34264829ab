import type { Prisma, PrismaClient } from '@rgb/db';

type Db = PrismaClient | Prisma.TransactionClient;

/** The brands an agent may serve now, in a stable order; none for an agent without rows. */
export async function agentBrandIds(db: Db, agentId: string): Promise<string[]> {
  const rows = await db.agentBrand.findMany({ where: { agentId }, select: { brandId: true }, orderBy: { brandId: 'asc' } });
  return rows.map(({ brandId }) => brandId);
}
