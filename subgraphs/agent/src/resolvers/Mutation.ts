import { requireCaller } from '@rgb/kit';
import { adjustBalance } from '../adjustments';
import { createAgent, updateAgent } from '../agents';
import { agentAccess } from '../authorization';
import { retryFailedCall } from '../calls';
import type { MutationResolvers } from '../generated/resolvers-types';
import { grantCoupon, recycleCoupon } from '../coupon-grants';
import { agentLogin, refreshAgentSession } from '../login';
import { moneyDeps } from '../money-deps';
import { decideWithdrawal, requestWithdrawal } from '../withdrawals';

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
  requestAgentWithdrawal: async (_parent, { input }, context) => requestWithdrawal(moneyDeps(context), (await agentAccess.callingAgent(context)).id, context.brand, input),
  approveAgentWithdrawal: (_parent, { id }, context) => decideWithdrawal(moneyDeps(context), context.brand, agentAccess.decideWithdrawals(context), id, 'approve'),
  declineAgentWithdrawal: (_parent, { id, reason }, context) => decideWithdrawal(moneyDeps(context), context.brand, agentAccess.decideWithdrawals(context), id, 'decline', reason),
  markAgentWithdrawalPaid: (_parent, { id }, context) => decideWithdrawal(moneyDeps(context), context.brand, agentAccess.decideWithdrawals(context), id, 'markPaid'),
  declineAgentWithdrawalPay: (_parent, { id, reason }, context) => decideWithdrawal(moneyDeps(context), context.brand, agentAccess.decideWithdrawals(context), id, 'declinePay', reason),
  grantAgentCoupon: async (_parent, { input }, context) => grantCoupon(moneyDeps(context), (await agentAccess.callingAgent(context)).id, context.brand, input),
  recycleAgentCoupon: async (_parent, { id }, context) => recycleCoupon(moneyDeps(context), (await agentAccess.callingAgent(context)).id, context.brand, id),
  adjustAgentBalance: (_parent, { input }, context) => adjustBalance(moneyDeps(context), context.brand, agentAccess.adjustBalances(context), input),
  retryAgentOutgoingCall: (_parent, { id }, context) => retryFailedCall(context.prisma, context.brand, agentAccess.retryCalls(context), id),
};
