import { formatMoney } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { Logger, TickResult } from '@rgb/kit';
import { type Journal, journaled, type Tx } from './journal';
import type { OpenSettlements, RgsMetrics } from './metrics';
import { type Operator, operatorById } from './operators';
import type { PlatformWallet, WalletAnswer } from './wallet';

export type SettlementAction = 'WIN' | 'ROLLBACK';

export interface SettlementPolicy {
  /** How long an attempt holds its row: another claim waits that long. */
  leaseMs: number;
  /** The wait after failed attempt n is retryMs x 2^(n-1), at most maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** The attempt after which a settlement is failed loudly instead of retried. */
  maxAttempts: number;
  /** Rows one turn of the loop claims. */
  batchSize: number;
}

/** A settlement this instance holds (claimed, or written by the bet it settles) with what its call needs. */
export interface HeldSettlement {
  id: bigint;
  operator: Operator;
  betId: string;
  action: SettlementAction;
  transactionId: string;
  amountMinor: bigint | null;
  /** Its attempts so far, this one included: recording the outcome requires that nobody claimed it since. */
  attempt: number;
  /** The bet's request waits on this attempt: its outcome is what that request answers (RgsBet.answeredStatus). */
  answersBet: boolean;
  betCreatedAt: Date;
  account: string;
  currency: string;
  roundId: string;
  gameCode: string;
}

/** The platform's transaction ids of a bet's money movements: the bet's debit is its own id. */
export const transactionIds = (betId: string) => ({ debit: betId, win: `${betId}:win`, rollback: `${betId}:rollback` });

/**
 * Writes a settlement in the caller's transaction. `held`: the writer attempts it at once (its
 * first attempt, under a lease); otherwise it is a guard that becomes due when `dueInMs` passes
 * (a debit's rollback, due unless the debit is resolved first).
 */
export async function writeSettlement(
  tx: Tx,
  row: { operatorId: string; betId: string; action: SettlementAction; transactionId: string; amountMinor: bigint | null },
  { dueInMs, held }: { dueInMs: number; held: boolean },
): Promise<bigint> {
  const [written] = await tx.$queryRawUnsafe<{ id: bigint }[]>(
    `INSERT INTO rgs.settlement_outbox (operator_id, bet_id, action, transaction_id, amount_minor, attempts, next_attempt_at)
     VALUES ($1::uuid, $2::uuid, $3::rgs."RgsSettlementAction", $4, $5::bigint, $6, now() + $7::double precision * interval '1 millisecond')
     RETURNING id`,
    row.operatorId,
    row.betId,
    row.action,
    row.transactionId,
    row.amountMinor?.toString() ?? null,
    held ? 1 : 0,
    dueInMs,
  );
  return written!.id;
}

interface ClaimedRow {
  id: bigint;
  operator_id: string;
  bet_id: string;
  action: SettlementAction;
  transaction_id: string;
  amount_minor: bigint | null;
  attempts: number;
  bet_created_at: Date;
  bet_status: string;
  account: string;
  currency: string;
  round_id: string;
  game_code: string;
}

/**
 * The settlement outbox: wins (zero closes a lost round) and rollbacks the platform must confirm,
 * each retried under its transaction_id, with a fresh request_id per attempt, until it does. A row
 * is claimed with FOR UPDATE SKIP LOCKED and a lease in a short transaction, then sent with no
 * transaction open, so two instances never send it at once and no network call holds a lock.
 */
export class Settlements {
  constructor(
    private readonly deps: { prisma: PrismaClient; wallet: PlatformWallet; log: Logger; metrics: RgsMetrics; policy: SettlementPolicy },
  ) {}

  /** Sends one held settlement and records what came of it; true once the platform confirmed it. */
  async attempt(held: HeldSettlement, traceparent?: string): Promise<boolean> {
    const isWin = held.action === 'WIN';
    const answer = await this.deps.wallet.call(
      held.operator,
      isWin ? 'win' : 'rollback',
      {
        account: held.account,
        currency: held.currency,
        transactionId: held.transactionId,
        roundId: held.roundId,
        gameCode: held.gameCode,
        amount: isWin ? formatMoney(held.amountMinor ?? 0n, held.currency) : undefined,
        referenceTransactionId: transactionIds(held.betId).debit,
        roundClosed: isWin ? true : undefined,
      },
      traceparent,
    );
    await this.record(held, answer);
    return answer.outcome === 'ok';
  }

  /** One turn of the loop: claims the due settlements (a batch) and attempts each. */
  async tick(): Promise<TickResult> {
    const held = await this.claim();
    if (held.length === 0) return { worked: 0, pending: false };
    const results = await Promise.allSettled(held.map((settlement) => this.attempt(settlement)));
    const failure = results.find((result) => result.status === 'rejected');
    // A row whose outcome could not be recorded stays claimed until its lease ends, then is tried again.
    if (failure) throw failure.reason;
    return { worked: held.length, pending: held.length === this.deps.policy.batchSize };
  }

  /** Settlements not confirmed yet, and those failed past the limit (every instance's). */
  async open(): Promise<OpenSettlements> {
    const [row] = await this.deps.prisma.$queryRawUnsafe<{ pending: bigint; failed: bigint }[]>(
      `SELECT count(*) FILTER (WHERE failed_at IS NULL) AS pending, count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
         FROM rgs.settlement_outbox WHERE completed_at IS NULL`,
    );
    return { pending: Number(row!.pending), failed: Number(row!.failed) };
  }

  private async claim(): Promise<HeldSettlement[]> {
    const { prisma, policy } = this.deps;
    const rows = await journaled(prisma, null, async (tx, journal) => {
      const claimed = await tx.$queryRawUnsafe<ClaimedRow[]>(
        `WITH due AS (
           SELECT id FROM rgs.settlement_outbox
            WHERE completed_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1
              FOR UPDATE SKIP LOCKED
         ), claimed AS (
           UPDATE rgs.settlement_outbox s
              SET attempts = s.attempts + 1, next_attempt_at = now() + $2::double precision * interval '1 millisecond'
             FROM due WHERE s.id = due.id
           RETURNING s.id, s.operator_id, s.bet_id, s.action, s.transaction_id, s.amount_minor, s.attempts
         )
         SELECT c.id, c.operator_id, c.bet_id, c.action::text AS action, c.transaction_id, c.amount_minor, c.attempts,
                b.created_at AS bet_created_at, b.status::text AS bet_status, b.currency, b.round_id, p.external_id AS account, g.code AS game_code
           FROM claimed c
           JOIN rgs.bet b ON b.id = c.bet_id
           JOIN rgs.player p ON p.id = b.player_id
           JOIN rgs.round r ON r.id = b.round_id
           JOIN rgs.game g ON g.id = r.game_id`,
        policy.batchSize,
        policy.leaseMs,
      );
      await this.beginRollbacks(tx, journal, claimed);
      return claimed;
    });
    const operators = new Map<string, Operator>();
    for (const id of new Set(rows.map((row) => row.operator_id))) operators.set(id, await operatorById(prisma, id));
    return rows.map((row) => ({
      id: row.id,
      operator: operators.get(row.operator_id)!,
      betId: row.bet_id,
      action: row.action,
      transactionId: row.transaction_id,
      amountMinor: row.amount_minor,
      attempt: row.attempts,
      answersBet: false,
      betCreatedAt: row.bet_created_at,
      account: row.account,
      currency: row.currency,
      roundId: row.round_id,
      gameCode: row.game_code,
    }));
  }

  /**
   * A debit's rollback guard claimed while its bet is still DEBITING: the debit's answer never got
   * recorded (the RGS stopped, or took longer than the lease). The bet is rolled back from here on,
   * and its request, if it is still running, finds it so and answers WALLET_UNAVAILABLE.
   */
  private async beginRollbacks(tx: Tx, journal: Journal, claimed: ClaimedRow[]): Promise<void> {
    const stranded = claimed.filter((row) => row.action === 'ROLLBACK' && row.bet_status === 'DEBITING').map((row) => row.bet_id);
    if (stranded.length === 0) return;
    const moved = await tx.$queryRawUnsafe<{ id: string; operator_id: string }[]>(
      `UPDATE rgs.bet SET status = 'ROLLING_BACK', error_code = 'WALLET_UNAVAILABLE'
        WHERE id = ANY($1::uuid[]) AND status = 'DEBITING' RETURNING id, operator_id`,
      stranded,
    );
    for (const bet of moved) {
      journal.event(bet.operator_id, 'bet.rolling_back', { bet_id: bet.id, reason: 'the debit was not resolved within the settlement lease' });
    }
  }

  private async record(held: HeldSettlement, answer: WalletAnswer): Promise<void> {
    const { prisma, policy, metrics, log } = this.deps;
    const operatorId = held.operator.id;
    const walletEvent = held.action === 'WIN' ? 'wallet.win' : 'wallet.rollback';
    const callFacts = {
      bet_id: held.betId,
      transaction_id: held.transactionId,
      attempt: held.attempt,
      ...(held.action === 'WIN' ? { amount: formatMoney(held.amountMinor ?? 0n, held.currency) } : {}),
    };
    const recorded = await journaled(prisma, null, async (tx, journal): Promise<'confirmed' | 'retrying' | 'failed' | 'stale'> => {
      if (answer.outcome === 'ok') {
        const done = await tx.$executeRawUnsafe(
          `UPDATE rgs.settlement_outbox SET completed_at = now(), last_error = NULL
            WHERE id = $1::bigint AND attempts = $2 AND completed_at IS NULL AND failed_at IS NULL`,
          held.id,
          held.attempt,
        );
        // Claimed again since (this attempt outlived its lease): the current holder records it.
        if (done === 0) return 'stale';
        journal.event(operatorId, walletEvent, { ...callFacts, outcome: 'ok', balance: answer.balance, duplicate: answer.duplicate });
        if (held.action === 'WIN') {
          await tx.$executeRawUnsafe(
            `UPDATE rgs.bet SET status = 'SETTLED', settled_at = now(), answered_status = CASE WHEN $2::boolean THEN 'SETTLED' ELSE answered_status END
              WHERE id = $1::uuid AND status = 'DEBITED'`,
            held.betId,
            held.answersBet,
          );
          journal.event(operatorId, 'bet.settled', { bet_id: held.betId, round_id: held.roundId, win_amount: callFacts.amount });
        } else {
          await tx.$executeRawUnsafe(`UPDATE rgs.bet SET status = 'ROLLED_BACK', settled_at = now() WHERE id = $1::uuid AND status = 'ROLLING_BACK'`, held.betId);
          journal.event(operatorId, 'bet.rolled_back', { bet_id: held.betId, round_id: held.roundId });
        }
        return 'confirmed';
      }
      const error = answer.outcome === 'refused' ? `${answer.errorCode}: ${answer.message}` : answer.reason;
      const final = held.attempt >= policy.maxAttempts;
      const retryInMs = Math.min(policy.retryMs * 2 ** (held.attempt - 1), policy.maxRetryMs);
      const updated = await tx.$executeRawUnsafe(
        `UPDATE rgs.settlement_outbox
            SET last_error = $3, next_attempt_at = now() + $4::double precision * interval '1 millisecond', failed_at = CASE WHEN $5::boolean THEN now() END
          WHERE id = $1::bigint AND attempts = $2 AND completed_at IS NULL AND failed_at IS NULL`,
        held.id,
        held.attempt,
        error,
        retryInMs,
        final,
      );
      if (updated === 0) return 'stale';
      journal.event(operatorId, walletEvent, { ...callFacts, outcome: answer.outcome, error });
      if (held.answersBet) await tx.$executeRawUnsafe(`UPDATE rgs.bet SET answered_status = 'PENDING_SETTLEMENT' WHERE id = $1::uuid`, held.betId);
      if (!final) return 'retrying';
      const facts = { bet_id: held.betId, action: held.action, transaction_id: held.transactionId, attempts: held.attempt, last_error: error };
      journal.event(operatorId, 'settlement.failed', facts);
      journal.audit(operatorId, { action: 'settlement.failed', targetType: 'bet', targetId: held.betId, details: facts });
      return 'failed';
    });
    if (recorded === 'confirmed' && held.action === 'WIN') metrics.settlementSeconds.observe((Date.now() - held.betCreatedAt.getTime()) / 1000);
    if (recorded === 'failed') {
      metrics.settlementsFailed.inc({ action: held.action.toLowerCase() });
      log.error({ bet_id: held.betId, action: held.action, transaction_id: held.transactionId, attempts: held.attempt }, 'settlement failed after the attempt limit: it needs a person');
    }
  }
}
