import { agentAccess } from '../authorization';
import { listAgents, referredPlayers } from '../agents';
import { listCalls } from '../calls';
import type { QueryResolvers } from '../generated/resolvers-types';
import { listWithdrawals } from '../withdrawals';

export const Query: QueryResolvers = {
  myAgent: (_parent, _args, context) => (context.caller?.kind === 'agent' ? agentAccess.callingAgent(context) : null),
  myPlayers: async (_parent, page, context) => {
    const agent = await agentAccess.callingAgent(context);
    return referredPlayers(context.prisma, agent.id, context.brand.id, page);
  },
  agent: async (_parent, { id }, context) => {
    const viewer = await agentAccess.viewer(context);
    return agentAccess.visible(viewer, await context.loaders.agentById.load(id));
  },
  agents: (_parent, { status, parentId, first, after }, context) => {
    agentAccess.listAgents(context.caller);
    return listAgents(context.prisma, { status, parentId }, { first, after });
  },
  agentWithdrawals: (_parent, { status, agentId, first, after, offset }, context) => {
    agentAccess.readAgentMoney(context.caller);
    return listWithdrawals(context.prisma, { brandId: context.brand.id, agentId, status }, { first, after, offset });
  },
  agentOutgoingCalls: (_parent, { status, first, after }, context) => {
    agentAccess.readAgentMoney(context.caller);
    return listCalls(context.prisma, { brandId: context.brand.id, status }, { first, after });
  },
};
