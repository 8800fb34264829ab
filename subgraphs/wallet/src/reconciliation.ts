import type { PrismaClient } from '@rgb/db';

export interface LedgerMismatch {
  accountId: string;
  /** The account's owner: a player or an agent. */
  playerId: string | null;
  agentId: string | null;
  brandId: string;
  balance: string;
  ledgerTotal: string;
}

/** Every account, players' and agents' alike, whose balance is not the sum of its ledger entries (or is negative). Empty when the books agree. */
export async function findLedgerMismatches(prisma: PrismaClient): Promise<LedgerMismatch[]> {
  const rows = await prisma.$queryRawUnsafe<{ id: string; player_id: string | null; agent_id: string | null; brand_id: string; balance: bigint; total: bigint }[]>(
    `SELECT a.id, a.player_id, a.agent_id, a.brand_id, a.balance, coalesce(l.total, 0)::bigint AS total
     FROM wallet.wallet_account a
     LEFT JOIN (SELECT account_id, sum(amount) AS total FROM wallet.ledger_entry GROUP BY account_id) l ON l.account_id = a.id
     WHERE a.balance <> coalesce(l.total, 0) OR a.balance < 0
     ORDER BY a.id`,
  );
  return rows.map((row) => ({
    accountId: row.id,
    playerId: row.player_id,
    agentId: row.agent_id,
    brandId: row.brand_id,
    balance: row.balance.toString(),
    ledgerTotal: row.total.toString(),
  }));
}

/** How a LedgerMismatchError's message opens: the number of accounts, which the job's recorded error keeps (ledgerMismatchesIn). */
const MISMATCH_MESSAGE = /^(\d+) account\(s\) where the balance is not the sum of the ledger/;

/** The number of accounts a reconciliation's recorded error names; null for an error of another kind (the database, a timeout). */
export function ledgerMismatchesIn(error: string): number | null {
  const count = MISMATCH_MESSAGE.exec(error)?.[1];
  return count === undefined ? null : Number(count);
}

export class LedgerMismatchError extends Error {
  override readonly name = 'LedgerMismatchError';
  constructor(readonly mismatches: LedgerMismatch[]) {
    super(
      `${mismatches.length} account(s) where the balance is not the sum of the ledger: ${mismatches
        .slice(0, 5)
        .map((m) => `${m.accountId} balance ${m.balance} ledger ${m.ledgerTotal}`)
        .join(', ')}${mismatches.length > 5 ? ', ...' : ''}`,
    );
  }
}
