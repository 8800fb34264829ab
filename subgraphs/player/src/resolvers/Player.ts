import { playerAccess } from '../authorization';
import type { PlayerResolvers } from '../generated/resolvers-types';
import { listMessages, unreadMessageCount } from '../messages';

export const Player: PlayerResolvers = {
  __resolveReference: async ({ id }, { caller, loaders }) => {
    await playerAccess.referPlayer(caller, loaders.agentSight, id);
    return loaders.playerById.load(id);
  },
  createdAt: (player) => player.createdAt.toISOString(),
  messages: (player, args, { caller, prisma }) => {
    playerAccess.readInbox(caller, player.id);
    return listMessages(prisma, player.id, args);
  },
  unreadMessageCount: (player, _args, { caller, prisma }) => {
    playerAccess.readInbox(caller, player.id);
    return unreadMessageCount(prisma, player.id);
  },
  lastLoginAt: async (player, _args, { caller, loaders }) => {
    await playerAccess.readOwnDetail(caller, loaders.agentSight, player.id);
    return (await loaders.lastLoginAtByPlayerId.load(player.id))?.toISOString() ?? null;
  },
  blockedAt: (player, _args, { caller }) => {
    playerAccess.readPlayer(caller);
    return player.blockedAt?.toISOString() ?? null;
  },
  blockReason: (player, _args, { caller }) => {
    playerAccess.readPlayer(caller);
    return player.blockReason;
  },
};
