import { connection, NEWEST_FIRST, pageSize, paginate } from '@rgb/kit';
import type { Prisma } from '@rgb/db';
import type { QueryResolvers } from '../generated/resolvers-types';
import { roundsPage } from '../rounds';
import { gameAccess } from '../authorization';

export const Query: QueryResolvers = {
  games: (_parent, { first, after, providerCode }, { caller, prisma }) => {
    const onlyEnabled = gameAccess.seesDisabledGames(caller) ? {} : { enabled: true };
    const provider = { ...onlyEnabled, ...(providerCode ? { code: providerCode } : {}) };
    const where: Prisma.GameWhereInput = { ...onlyEnabled, provider };
    return paginate(
      { first, after },
      (position, take) => prisma.game.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.game.count({ where }),
    );
  },
  providers: (_parent, _args, { caller, prisma }) => {
    gameAccess.readProviders(caller);
    return prisma.provider.findMany({ orderBy: { code: 'asc' } });
  },
  gameRounds: async (_parent, { playerId, gameCode, roundId, first, after }, { caller, prisma, brand, services }) => {
    gameAccess.readRounds(caller);
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
