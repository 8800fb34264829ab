import { agentAccess } from '../authorization';
import { listAdjustments } from '../adjustments';
import { listAgents, referredPlayers } from '../agents';
import { listCouponGrants } from '../coupon-grants';
import { listWithdrawals } from '../withdrawals';
import type { AgentResolvers } from '../generated/resolvers-types';

/**
 * An Agent reaches these fields from a read that showed it to its viewer, or from a staff change
 * (createAgent, updateAgent) that did not: what it lists is answered only to a viewer who may see it.
 */
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
  subAgents: async (agent, page, context) => {
    await agentAccess.requireVisible(context, agent);
    return listAgents(context.prisma, { parentId: agent.id }, page);
  },
  players: async (agent, page, context) => {
    await agentAccess.requireVisible(context, agent);
    return referredPlayers(context.prisma, agent.id, context.brand.id, page);
  },
  withdrawals: async (agent, { status, ...page }, context) => {
    await agentAccess.requireVisible(context, agent);
    return listWithdrawals(context.prisma, { brandId: context.brand.id, agentId: agent.id, status }, page);
  },
  couponGrants: async (agent, { status, ...page }, context) => {
    await agentAccess.requireVisible(context, agent);
    return listCouponGrants(context.prisma, { brandId: context.brand.id, agentId: agent.id, status }, page);
  },
  balanceAdjustments: async (agent, page, context) => {
    await agentAccess.requireVisible(context, agent);
    return listAdjustments(context.prisma, { brandId: context.brand.id, agentId: agent.id }, page);
  },
};
