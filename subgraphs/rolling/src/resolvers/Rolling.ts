import { formatMoney } from '@rgb/contracts';
import type { RollingResolvers } from '../generated/resolvers-types';
import { progressOf } from '../rules';

export const Rolling: RollingResolvers = {
  required: (rolling) => formatMoney(rolling.required, rolling.currency),
  accrued: (rolling) => formatMoney(rolling.accrued, rolling.currency),
  amount: (rolling) => formatMoney(rolling.amount, rolling.currency),
  progress: (rolling) => progressOf(rolling),
  expiresAt: (rolling) => rolling.expiresAt?.toISOString() ?? null,
  createdAt: (rolling) => rolling.createdAt.toISOString(),
  endedAt: (rolling) => rolling.endedAt?.toISOString() ?? null,
  player: (rolling) => ({ id: rolling.playerId }),
};
