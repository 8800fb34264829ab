import type { WalletAccount } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import type { WalletView } from './views';

export function walletView(playerId: string, account: WalletAccount | null, brand: BrandRef): WalletView {
  return account
    ? { playerId, accountId: account.id, balance: account.balance, currency: account.currency }
    : { playerId, accountId: null, balance: 0n, currency: brand.currency };
}
