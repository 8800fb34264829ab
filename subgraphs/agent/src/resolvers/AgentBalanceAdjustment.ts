import { formatMoney } from '@rgb/contracts';
import type { AgentBalanceAdjustmentResolvers } from '../generated/resolvers-types';

export const AgentBalanceAdjustment: AgentBalanceAdjustmentResolvers = {
  amount: (adjustment) => formatMoney(adjustment.amount, adjustment.currency),
  createdAt: (adjustment) => adjustment.createdAt.toISOString(),
};
