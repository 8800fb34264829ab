import { formatMoney } from '@rgb/contracts';
import { promotionAccess } from '../authorization';
import type { PromotionProgramResolvers } from '../generated/resolvers-types';

const money = (minor: bigint | null, currency: string) => (minor === null ? null : formatMoney(minor, currency));

export const PromotionProgram: PromotionProgramResolvers = {
  categoryRates: (program) => Object.entries((program.categoryRatesBps ?? {}) as Record<string, number>).map(([category, bps]) => ({ category, bps })),
  lossThreshold: (program) => money(program.lossThreshold, program.currency),
  minPayout: (program) => formatMoney(program.minPayout, program.currency),
  playerCap: (program) => money(program.playerCap, program.currency),
  budget: (program) => money(program.budget, program.currency),
  spent: (program) => formatMoney(program.spent, program.currency),
  settleFrom: (program) => program.settleFrom.toISOString().slice(0, 10),
  createdAt: (program) => program.createdAt.toISOString(),
  // A mutation answers the program to promotions.manage: its runs still need promotions.read.
  runs: (program, { first, after }, { caller, loaders }) => {
    promotionAccess.readPromotions(caller);
    return loaders.runsByProgramId(program.id, { first, after });
  },
};
