import type { WalletAccount } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import type { WalletView } from './views';

/** A player's or an agent's wallet on the brand: without an account yet, a zero balance in the brand's currency. */
export function walletView(account: WalletAccount | null, brand: BrandRef): WalletView {
  return account ? { accountId: account.id, balance: account.balance, currency: account.currency } : { accountId: null, balance: 0n, currency: brand.currency };
}
