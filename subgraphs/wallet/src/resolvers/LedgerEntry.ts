import { formatMoney } from '@rgb/contracts';
import type { LedgerEntryResolvers } from '../generated/resolvers-types';

export const LedgerEntry: LedgerEntryResolvers = {
  amount: (entry, _args, { brand }) => formatMoney(entry.amount, brand.currency),
  balanceAfter: (entry, _args, { brand }) => formatMoney(entry.balanceAfter, brand.currency),
  createdAt: (entry) => entry.createdAt.toISOString(),
};
