import { requireCaller } from '@rgb/kit';
import type { MutationResolvers } from '../generated/resolvers-types';
import { refreshStaffSession, staffLogin } from '../staff';

export const Mutation: MutationResolvers = {
  staffLogin: (_parent, { input }, { prisma, brand, services, clientAddress, log }) =>
    staffLogin(prisma, services, brand.id, { ...input, clientAddress, log }),
  staffRefreshToken: (_parent, { refreshToken }, { prisma, brand, services }) =>
    refreshStaffSession(prisma, services.sessions, brand.id, refreshToken),
  staffLogout: async (_parent, _args, { caller, services }) => {
    await services.sessions.revoke(requireCaller(caller, 'staff').sessionId);
    return true;
  },
};
