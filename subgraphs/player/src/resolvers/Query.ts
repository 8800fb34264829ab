import { playerAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';
import { searchPlayers } from '../player-search';
import { isUuid } from '../players';

export const Query: QueryResolvers = {
  me: (_parent, _args, { caller, loaders }) =>
    caller?.kind === 'player' ? loaders.playerById.load(caller.id) : null,
  player: (_parent, { id }, { caller, loaders }) => {
    playerAccess.readPlayer(caller);
    return isUuid(id) ? loaders.playerById.load(id) : null;
  },
  players: (_parent, { filter, first, after }, { caller, prisma, brand }) => {
    playerAccess.readPlayer(caller);
    return searchPlayers(prisma, brand, filter, { first, after });
  },
};
