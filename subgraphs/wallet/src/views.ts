import type { DepositRequest, LedgerEntry, WithdrawalRequest } from '@rgb/db';
import type { Connection } from '@rgb/kit';

/** What resolvers return for each GraphQL type (codegen mappers). */
export interface PlayerRef {
  id: string;
}

export interface AgentRef {
  id: string;
}

/** A wallet as read (a player's or an agent's): without an account yet, a zero balance in the brand's currency. */
export interface WalletView {
  accountId: string | null;
  balance: bigint;
  currency: string;
}

export type LedgerEntryPage = Connection<LedgerEntry>;
export type DepositRequestPage = Connection<DepositRequest>;
export type WithdrawalRequestPage = Connection<WithdrawalRequest>;
export type LedgerEntryRow = LedgerEntry;
export type DepositRequestRow = DepositRequest;
export type WithdrawalRequestRow = WithdrawalRequest;
