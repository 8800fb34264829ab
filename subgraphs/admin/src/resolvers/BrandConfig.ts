import { limitsOf } from '../brand-management';
import type { BrandConfigResolvers } from '../generated/resolvers-types';

export const BrandConfig: BrandConfigResolvers = {
  categoryContributions: (config) => ({
    slotsBps: config.slotsContributionBps,
    liveCasinoBps: config.liveCasinoContributionBps,
    tableBps: config.tableContributionBps,
    otherBps: config.otherContributionBps,
  }),
  depositAccounts: (config) => config.brand.depositAccounts,
  limits: (config) => limitsOf(config),
  stalePendingAfter: (config) => ({ depositMinutes: config.staleDepositAfterMinutes, withdrawalMinutes: config.staleWithdrawalAfterMinutes }),
  updatedAt: (config) => config.updatedAt.toISOString(),
};
