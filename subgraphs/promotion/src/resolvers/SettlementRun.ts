import { formatMoney } from '@rgb/contracts';
import { NEWEST_FIRST, paginate } from '@rgb/kit';
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
  items: (run, { status, first, after }, { caller, prisma }) => {
    promotionAccess.readPromotions(caller);
    const where = { runId: run.id, ...(status ? { status } : {}) };
    return paginate(
      { first, after },
      (position, take) => prisma.settlementItem.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.settlementItem.count({ where }),
    );
  },
};
