import { agentAccess } from '../authorization';
import { listAgents, referredPlayers } from '../agents';
import type { AgentResolvers } from '../generated/resolvers-types';

/** Every Agent reaching these fields was shown to its viewer (Query.agent, myAgent, __resolveReference, a visible parent's subAgents). */
export const Agent: AgentResolvers = {
  __resolveReference: async ({ id }, context) => {
    const viewer = await agentAccess.viewer(context);
    return agentAccess.visible(viewer, await context.loaders.agentById.load(id));
  },
  createdAt: (agent) => agent.createdAt.toISOString(),
  parent: async (agent, _args, context) => {
    if (!agent.parentId) return null;
    const viewer = await agentAccess.viewer(context);
    return agentAccess.visible(viewer, await context.loaders.agentById.load(agent.parentId));
  },
  subAgents: (agent, { first, after }, { prisma }) => listAgents(prisma, { parentId: agent.id }, { first, after }),
  players: (agent, page, { prisma, brand }) => referredPlayers(prisma, agent.id, brand.id, page),
};
