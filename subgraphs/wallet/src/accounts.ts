import { forbidden } from '@rgb/contracts';
import type { WalletAccount } from '@rgb/db';
import type { BrandRef, Caller } from '@rgb/kit';
import type { WalletView } from './views';

export function walletView(playerId: string, account: WalletAccount | null, brand: BrandRef): WalletView {
  return account
    ? { playerId, accountId: account.id, balance: account.balance, currency: account.currency }
    : { playerId, accountId: null, balance: 0n, currency: brand.currency };
}

/** A player reads only their own wallet; staff read any wallet of their brand. */
export function assertMayReadWallet(caller: Caller | null, playerId: string): void {
  if (caller?.kind === 'staff' || caller?.kind === 'service') return;
  if (caller?.kind === 'player' && caller.id === playerId) return;
  throw forbidden('this wallet belongs to another player');
}
