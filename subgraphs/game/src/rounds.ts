import type { GameRound, Prisma, PrismaClient } from '@rgb/db';
import { afterCursor, connection, pageSize, type Connection } from '@rgb/kit';

/** A page of rounds, newest first. */
export async function roundsPage(
  prisma: PrismaClient,
  where: Prisma.GameRoundWhereInput,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<GameRound>> {
  const take = pageSize(first);
  const [rows, total] = await Promise.all([
    prisma.gameRound.findMany({ where: { ...where, ...afterCursor(after, 'openedAt') }, orderBy: [{ openedAt: 'desc' }, { id: 'desc' }], take: take + 1 }),
    prisma.gameRound.count({ where }),
  ]);
  return connection(rows, take, total, (round) => round.openedAt);
}
