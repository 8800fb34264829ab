import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.playerById.load(id),
  createdAt: (player) => player.createdAt.toISOString(),
};
