import { afterCursor, connection, pageSize, requireCaller } from '@rgb/kit';
import type { Prisma } from '@rgb/db';
import type { QueryResolvers } from '../generated/resolvers-types';
import { roundsPage } from '../rounds';

export const Query: QueryResolvers = {
  games: async (_parent, { first, after, providerCode }, { caller, prisma }) => {
    const take = pageSize(first);
    const visible: Prisma.GameWhereInput = caller?.kind === 'staff' ? {} : { enabled: true, provider: { enabled: true } };
    const where: Prisma.GameWhereInput = { ...visible, ...(providerCode ? { provider: { ...visible.provider as object, code: providerCode } } : {}) };
    const [rows, total] = await Promise.all([
      prisma.game.findMany({ where: { ...where, ...afterCursor(after) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: take + 1 }),
      prisma.game.count({ where }),
    ]);
    return connection(rows, take, total);
  },
  providers: (_parent, _args, { caller, prisma }) => {
    requireCaller(caller, 'staff');
    return prisma.provider.findMany({ orderBy: { code: 'asc' } });
  },
  gameRounds: async (_parent, { playerId, gameCode, roundId, first, after }, { caller, prisma, brand, services }) => {
    requireCaller(caller, 'staff');
    const game = gameCode ? await services.catalog.game(gameCode) : undefined;
    if (gameCode && !game) return connection([], pageSize(first), 0);
    return roundsPage(
      prisma,
      { brandId: brand.id, ...(playerId ? { playerId } : {}), ...(game ? { gameId: game.id } : {}), ...(roundId ? { roundId } : {}) },
      first,
      after,
    );
  },
};
