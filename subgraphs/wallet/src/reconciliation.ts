import type { PrismaClient } from '@rgb/db';
import type { JobOutcome } from '@rgb/kit';

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

/** How a LedgerMismatchError's message opens: the number of accounts, which the job's recorded error keeps (lastRunMismatches). */
const MISMATCH_MESSAGE = /^(\d+) account\(s\) where the balance is not the sum of the ledger/;

/**
 * The mismatches the latest reconciliation found, from its job's shared outcome: 0 after a success
 * (a run succeeds only when it finds none), the count its recorded error names after a failure.
 * Null when that is unknown: no run yet, or the latest failed for another reason (the database).
 */
export function lastRunMismatches(outcome: JobOutcome): number | null {
  if (!outcome.failing) return outcome.lastSuccessAt === null ? null : 0;
  const count = MISMATCH_MESSAGE.exec(outcome.lastError ?? '')?.[1];
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
