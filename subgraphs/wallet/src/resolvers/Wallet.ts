import { formatMoney } from '@rgb/contracts';
import { connection, NEWEST_FIRST, pageOffset, pageSize, paginate } from '@rgb/kit';
import type { WalletResolvers } from '../generated/resolvers-types';

export const Wallet: WalletResolvers = {
  balance: ({ balance, currency }) => formatMoney(balance, currency),
  transactions: async ({ accountId }, { first, after, offset }, { prisma }) => {
    if (!accountId) {
      // No ledger yet, but a page asked for wrongly is refused as it would be with one.
      pageOffset(offset, after);
      return connection([], pageSize(first), 0);
    }
    const where = { accountId };
    return paginate(
      { first, after, offset },
      (position, take, skip) => prisma.ledgerEntry.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take, skip }),
      () => prisma.ledgerEntry.count({ where }),
    );
  },
};
