import { formatMoney } from '@rgb/contracts';
import { afterCursor, connection, pageSize } from '@rgb/kit';
import type { WalletResolvers } from '../generated/resolvers-types';

export const Wallet: WalletResolvers = {
  balance: ({ balance, currency }) => formatMoney(balance, currency),
  transactions: async ({ accountId }, { first, after }, { prisma }) => {
    const take = pageSize(first);
    if (!accountId) return connection([], take, 0);
    const where = { accountId };
    const [rows, total] = await Promise.all([
      prisma.ledgerEntry.findMany({ where: { ...where, ...afterCursor(after) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: take + 1 }),
      prisma.ledgerEntry.count({ where }),
    ]);
    return connection(rows, take, total);
  },
};
