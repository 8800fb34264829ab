import { formatMoney } from '@rgb/contracts';
import { connection, NEWEST_FIRST, pageSize, paginate } from '@rgb/kit';
import type { WalletResolvers } from '../generated/resolvers-types';

export const Wallet: WalletResolvers = {
  balance: ({ balance, currency }) => formatMoney(balance, currency),
  transactions: async ({ accountId }, { first, after }, { prisma }) => {
    if (!accountId) return connection([], pageSize(first), 0);
    const where = { accountId };
    return paginate(
      { first, after },
      (position, take) => prisma.ledgerEntry.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
      () => prisma.ledgerEntry.count({ where }),
    );
  },
};
