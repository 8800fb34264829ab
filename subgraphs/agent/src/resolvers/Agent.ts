import { agentAccess } from '../authorization';
import { listAdjustments } from '../adjustments';
import { listAgents, referredPlayers } from '../agents';
import { listCouponGrants } from '../coupon-grants';
import { listWithdrawals } from '../withdrawals';
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
  withdrawals: (agent, { status, ...page }, { prisma, brand }) => listWithdrawals(prisma, { brandId: brand.id, agentId: agent.id, status }, page),
  couponGrants: (agent, { status, ...page }, { prisma, brand }) => listCouponGrants(prisma, { brandId: brand.id, agentId: agent.id, status }, page),
  balanceAdjustments: (agent, page, { prisma, brand }) => listAdjustments(prisma, { brandId: brand.id, agentId: agent.id }, page),
};
