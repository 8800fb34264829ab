import { formatMoney } from '@rgb/contracts';
import { promotionAccess } from '../authorization';
import type { SettlementItemResolvers } from '../generated/resolvers-types';
import { dayOf, programOf } from './settlement-fields';

export const SettlementItem: SettlementItemResolvers = {
  player: (item) => ({ id: item.playerId }),
  program: programOf,
  periodStart: async (item, _args, { loaders }) => {
    const run = await loaders.runById.load(item.runId);
    if (!run) throw new Error(`run ${item.runId} of a settlement item is not the brand's`);
    return dayOf(run.periodStart);
  },
  basis: (item) => formatMoney(item.basis, item.currency),
  computed: (item) => formatMoney(item.computed, item.currency),
  amount: (item) => formatMoney(item.amount, item.currency),
  attempts: (item) => item.payAttempts,
  lastError: (item, _args, { caller }) => (promotionAccess.seesPayFailures(caller) ? item.lastPayError : null),
  paidAt: (item) => item.paidAt?.toISOString() ?? null,
  reversed: (item) => formatMoney(item.reversed, item.currency),
};
