import type { GameRound, Prisma, PrismaClient } from '@rgb/db';
import { paginate, type Connection } from '@rgb/kit';

/** A page of rounds, newest first. */
export function roundsPage(
  prisma: PrismaClient,
  where: Prisma.GameRoundWhereInput,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<GameRound>> {
  return paginate(
    { first, after },
    (position, take) => prisma.gameRound.findMany({ where: { ...where, ...position }, orderBy: [{ openedAt: 'desc' }, { id: 'desc' }], take }),
    () => prisma.gameRound.count({ where }),
    { field: 'openedAt', of: (round) => round.openedAt },
  );
}
