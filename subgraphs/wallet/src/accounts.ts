import type { BrandRef, Caller } from '@rgb/kit';
import { forbidden } from '@rgb/contracts';
import type { WalletAccount } from '@rgb/db';

export interface PlayerRef {
  id: string;
}

/** A wallet as read: a player without an account yet has a zero balance in the brand's currency. */
export interface WalletView {
  balance: bigint;
  currency: string;
}

export function walletView(account: WalletAccount | null, brand: BrandRef): WalletView {
  return account ? { balance: account.balance, currency: account.currency } : { balance: 0n, currency: brand.currency };
}

/** A player reads only their own wallet; staff read any wallet of their brand. */
export function assertMayReadWallet(caller: Caller | null, playerId: string): void {
  if (caller?.kind === 'staff' || caller?.kind === 'service') return;
  if (caller?.kind === 'player' && caller.id === playerId) return;
  throw forbidden('this wallet belongs to another player');
}
