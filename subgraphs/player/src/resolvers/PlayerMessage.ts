import type { PlayerMessageResolvers } from '../generated/resolvers-types';

export const PlayerMessage: PlayerMessageResolvers = {
  createdAt: (message) => message.createdAt.toISOString(),
  readAt: (message) => message.readAt?.toISOString() ?? null,
};
