import { formatMoney } from '@rgb/contracts';
import { agentAccess } from '../authorization';
import type { AgentWithdrawalResolvers } from '../generated/resolvers-types';

export const AgentWithdrawal: AgentWithdrawalResolvers = {
  agent: async (withdrawal, _args, context) => agentAccess.visible(await agentAccess.viewer(context), await context.loaders.agentById.load(withdrawal.agentId)),
  amount: (withdrawal) => formatMoney(withdrawal.amount, withdrawal.currency),
  createdAt: (withdrawal) => withdrawal.createdAt.toISOString(),
  decidedAt: (withdrawal) => withdrawal.decidedAt?.toISOString() ?? null,
};
