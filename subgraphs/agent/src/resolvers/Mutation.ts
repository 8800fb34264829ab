import { requireCaller } from '@rgb/kit';
import { createAgent, updateAgent } from '../agents';
import { agentAccess } from '../authorization';
import type { MutationResolvers } from '../generated/resolvers-types';
import { agentLogin, refreshAgentSession } from '../login';

export const Mutation: MutationResolvers = {
  agentLogin: (_parent, { input }, { prisma, brand, services, clientAddress, log }) => agentLogin(prisma, services, brand.id, { ...input, clientAddress, log }),
  agentRefreshToken: (_parent, { refreshToken }, { prisma, brand, services }) => refreshAgentSession(prisma, services, brand.id, refreshToken),
  agentLogout: async (_parent, _args, { caller, services }) => {
    await services.sessions.revoke(requireCaller(caller, 'agent').sessionId);
    return true;
  },
  createAgent: (_parent, { input }, context) => createAgent(context.prisma, context.brand.id, agentAccess.manageAgents(context), input),
  updateAgent: (_parent, { id, input }, context) =>
    updateAgent(context.prisma, context.services.sessions, context.brand.id, agentAccess.manageAgents(context), id, input),
};
