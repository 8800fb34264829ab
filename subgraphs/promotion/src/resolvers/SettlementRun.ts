import { formatMoney } from '@rgb/contracts';
import { promotionAccess } from '../authorization';
import type { SettlementRunResolvers } from '../generated/resolvers-types';
import { dayOf, programOf } from './settlement-fields';

export const SettlementRun: SettlementRunResolvers = {
  program: programOf,
  periodStart: (run) => dayOf(run.periodStart),
  periodEnd: (run) => dayOf(run.periodEnd),
  total: async (run, _args, context) => formatMoney(run.total, (await programOf(run, {}, context)).currency),
  createdAt: (run) => run.createdAt.toISOString(),
  // A mutation answers the run to promotions.manage: its items still need promotions.read.
  items: (run, { status, first, after }, { caller, loaders }) => {
    promotionAccess.readPromotions(caller);
    return loaders.itemsByRunId(run.id, { first, after, status });
  },
};
