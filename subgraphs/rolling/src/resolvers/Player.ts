import { rollingAccess } from '../authorization';
import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  rollings: ({ id }, _args, { caller, loaders }) => {
    rollingAccess.readPlayerRollings(caller, id);
    return loaders.rollingsByPlayerId.load(id);
  },
};
