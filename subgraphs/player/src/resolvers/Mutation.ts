import { requireCaller } from '@rgb/kit';
import { playerAccess } from '../authorization';
import { blockPlayer, unblockPlayer } from '../blocking';
import { createContentEntry, deleteContentEntry, setContentStatus, updateContentEntry } from '../content';
import type { MutationResolvers } from '../generated/resolvers-types';
import { markMessageRead, sendMessage } from '../messages';
import { loginPlayer, refreshPlayerSession, registerPlayer } from '../players';
import { deleteTranslation, setTranslation } from '../translations';

export const Mutation: MutationResolvers = {
  registerPlayer: (_parent, { input }, { prisma, brand, services, requestId, traceparent, log }) =>
    registerPlayer(prisma, services, brand.id, input, { requestId, traceparent, log }),
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
  createContentEntry: (_parent, { input }, context) => createContentEntry(context.prisma, context.brand, input, playerAccess.manageContent(context)),
  updateContentEntry: (_parent, { id, input }, context) => updateContentEntry(context.prisma, context.brand, id, input, playerAccess.manageContent(context)),
  publishContentEntry: (_parent, { id }, context) => setContentStatus(context.prisma, context.brand, id, 'PUBLISHED', playerAccess.manageContent(context)),
  unpublishContentEntry: (_parent, { id }, context) => setContentStatus(context.prisma, context.brand, id, 'DRAFT', playerAccess.manageContent(context)),
  deleteContentEntry: (_parent, { id }, context) => deleteContentEntry(context.prisma, context.brand, id, playerAccess.manageContent(context)),
  setTranslation: (_parent, { input }, context) =>
    setTranslation(context.prisma, context.brand, input, playerAccess.manageTranslations(context, input.platformDefault)),
  deleteTranslation: (_parent, { input }, context) =>
    deleteTranslation(context.prisma, context.brand, input, playerAccess.manageTranslations(context, input.platformDefault)),
};
