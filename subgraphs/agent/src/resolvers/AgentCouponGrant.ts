import { formatMoney } from '@rgb/contracts';
import { agentAccess } from '../authorization';
import type { AgentCouponGrantResolvers } from '../generated/resolvers-types';

export const AgentCouponGrant: AgentCouponGrantResolvers = {
  player: (grant) => ({ id: grant.playerId }),
  amount: (grant) => formatMoney(grant.amount, grant.currency),
  code: (grant, _args, { caller }) => (agentAccess.couponCodeVisible(caller, grant.agentId) ? grant.code : null),
  validUntil: (grant) => grant.validUntil?.toISOString() ?? null,
  createdAt: (grant) => grant.createdAt.toISOString(),
};
