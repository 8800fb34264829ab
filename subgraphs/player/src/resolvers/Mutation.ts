import { requireCaller } from '@rgb/kit';
import { playerAccess } from '../authorization';
import { blockPlayer, unblockPlayer } from '../blocking';
import type { MutationResolvers } from '../generated/resolvers-types';
import { markMessageRead, sendMessage } from '../messages';
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
  blockPlayer: (_parent, { id, reason }, context) =>
    blockPlayer(context.prisma, context.services.sessions, context.brand, id, reason, playerAccess.blockPlayer(context)),
  unblockPlayer: (_parent, { id }, context) => unblockPlayer(context.prisma, context.brand, id, playerAccess.blockPlayer(context)),
  sendMessage: (_parent, { input }, context) => sendMessage(context.prisma, context.brand, input, playerAccess.sendMessage(context)),
  markMessageRead: (_parent, { id }, { caller, prisma }) => markMessageRead(prisma, playerAccess.inboxOwner(caller), id),
};
