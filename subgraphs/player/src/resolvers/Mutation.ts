import { requireCaller } from '@rgb/kit';
import type { MutationResolvers } from '../generated/resolvers-types';
import { loginPlayer, refreshPlayerSession, registerPlayer } from '../players';

export const Mutation: MutationResolvers = {
  registerPlayer: (_parent, { input }, { prisma, brand, services, traceparent }) =>
    registerPlayer(prisma, services.sessions, brand.id, input, traceparent),
  login: (_parent, { input }, { prisma, brand, services, clientAddress, log }) =>
    loginPlayer(prisma, services, brand.id, { ...input, clientAddress, log }),
  refreshToken: (_parent, { refreshToken }, { prisma, brand, services }) =>
    refreshPlayerSession(prisma, services.sessions, brand.id, refreshToken),
  logout: async (_parent, _args, { caller, services }) => {
    const player = requireCaller(caller, 'player');
    await services.sessions.revoke(player.sessionId);
    return true;
  },
};
