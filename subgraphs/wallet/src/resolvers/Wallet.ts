import { formatMoney } from '@rgb/contracts';
import type { WalletResolvers } from '../generated/resolvers-types';

export const Wallet: WalletResolvers = {
  balance: ({ balance, currency }) => formatMoney(balance, currency),
};
