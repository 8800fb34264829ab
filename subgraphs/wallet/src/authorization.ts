import { forbidden } from '@rgb/contracts';
import { requirePermission, type Caller } from '@rgb/kit';

/** Who may do what in the wallet domain, decided here only. */
export const walletAccess = {
  /** A player reads only their own wallet, services any, staff any of the brand with wallets.read. */
  readWallet(caller: Caller | null, playerId: string): void {
    if (caller?.kind === 'service') return;
    if (caller?.kind !== 'player') requirePermission(caller, 'wallets.read');
    else if (caller.id !== playerId) throw forbidden('this wallet belongs to another player');
  },
  readDeposits: (caller: Caller | null) => requirePermission(caller, 'deposits.read'),
  readWithdrawals: (caller: Caller | null) => requirePermission(caller, 'withdrawals.read'),
  /** The ledger's `caused_by` of a staff decision or adjustment. */
  decideDeposit: (caller: Caller | null) => `staff:${requirePermission(caller, 'deposits.decide').id}`,
  decideWithdrawal: (caller: Caller | null) => `staff:${requirePermission(caller, 'withdrawals.decide').id}`,
  adjustBalance: (caller: Caller | null) => `staff:${requirePermission(caller, 'wallets.adjust').id}`,
};
