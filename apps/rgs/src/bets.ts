import { formatMoney, MoneyFormatError, parseMoney, sessionTokenSchema } from '@rgb/contracts';
import { directSql, type PrismaClient, type RgsBetAnswer, type RgsBetStatus, statement, uniqueViolation } from '@rgb/db';
import type { Logger } from '@rgb/kit';
import { z } from 'zod';
import { betRefusal, readLimits } from './compliance';
import { diceWin, FACES } from './dice';
import { invalidRequest, RgsError } from './errors';
import { diceRoll } from './fair';
import { type AuditEntry, journaled } from './journal';
import type { RgsMetrics } from './metrics';
import type { Operator, OperatorLimits } from './operators';
import { parseBody } from './parse';
import { refuse, refusalEntry } from './refusals';
import { betProtectionRefusal, type Clock, lockPlayer } from './responsible-gaming';
import type { SecretBox } from './secrets';
import { sha256, uuidv7 } from './secrets';
import { liveSession, type SessionRecord } from './sessions';
import { type HeldSettlement, type Settlements, transactionIds, writeSettlement } from './settlement';
import type { PlatformWallet } from './wallet';

export interface BetDeps {
  prisma: PrismaClient;
  box: SecretBox;
  wallet: PlatformWallet;
  settlements: Settlements;
  metrics: RgsMetrics;
  log: Logger;
  /** How long the bet's debit may stay unresolved before its rollback guard is due (the settlement lease). */
  leaseMs: number;
  /** Now, for the responsible-gaming checks. */
  clock: Clock;
}

export interface BetContext {
  requestId: string;
  traceparent?: string;
}

/** The answer of POST /bets (docs/api/rgs-operators.md): `{"bet_id","round_id","roll","win_amount","status"}`. */
export interface BetAnswer {
  bet_id: string;
  round_id: string;
  roll: number;
  win_amount: string;
  /** SETTLED: the platform confirmed the win (zero for a loss); PENDING_SETTLEMENT: the outcome stands and its win is being retried. */
  status: 'SETTLED' | 'PENDING_SETTLEMENT';
}

const betRequest = z.object({
  session_token: sessionTokenSchema,
  /** A decimal string in major units of the session's currency, never a JSON number. */
  amount: z.string().max(40),
  pick: z.number().int().min(1).max(FACES),
});

/** As the legacy REST routes take it: 1 to 128 letters, digits and `. : _ -`. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9.:_-]{1,128}$/;

interface StoredBet {
  id: string;
  roundId: string;
  requestSha256: Buffer;
  currency: string;
  winMinor: bigint;
  status: RgsBetStatus;
  errorCode: string | null;
  answeredStatus: RgsBetAnswer | null;
  roll: number;
}

const BET_BY_KEY = statement(
  `SELECT b.id, b.round_id, b.request_sha256, b.currency, b.win_minor, b.status::text AS status, b.error_code, b.answered_status::text AS answered_status, r.roll
     FROM rgs.bet b JOIN rgs.round r ON r.id = b.round_id
    WHERE b.operator_id = $1::uuid AND b.idempotency_key = $2`,
);

/** The bet of an Idempotency-Key: every bet looks it up first, so a direct statement. */
async function findBet(prisma: PrismaClient, operatorId: string, idempotencyKey: string): Promise<StoredBet | null> {
  const [row] = await directSql(prisma).rows<{
    id: string;
    round_id: string;
    request_sha256: Buffer;
    currency: string;
    win_minor: string;
    status: RgsBetStatus;
    error_code: string | null;
    answered_status: RgsBetAnswer | null;
    roll: number;
  }>(BET_BY_KEY, [operatorId, idempotencyKey]);
  if (!row) return null;
  return {
    id: row.id,
    roundId: row.round_id,
    requestSha256: row.request_sha256,
    currency: row.currency,
    winMinor: BigInt(row.win_minor),
    status: row.status,
    errorCode: row.error_code,
    answeredStatus: row.answered_status,
    roll: row.roll,
  };
}

const answerOf = (bet: StoredBet, status: BetAnswer['status']): BetAnswer => ({
  bet_id: bet.id,
  round_id: bet.roundId,
  roll: bet.roll,
  win_amount: formatMoney(bet.winMinor, bet.currency),
  status,
});

const walletRefused = (errorCode: string) => new RgsError(errorCode, `the platform refused the stake (${errorCode}): the bet is void`, 'WALLET_REFUSED');
const walletUnavailable = () =>
  new RgsError('WALLET_UNAVAILABLE', 'the platform did not confirm the stake: the bet is void, and whatever it took is being returned (rollback)');

const inProgress = () => new RgsError('BET_IN_PROGRESS', 'the bet of this Idempotency-Key is still being placed: retry shortly');

/**
 * For a repeat of a bet's Idempotency-Key with the same parameters, the answer its first request
 * gave (or BET_IN_PROGRESS while that request is still answering); with other parameters, 409.
 * A bet whose first request never answered (a crash) is answered as the settlement loop left it.
 */
function replay(bet: StoredBet, fingerprint: Buffer): BetAnswer {
  if (!fingerprint.equals(bet.requestSha256)) throw new RgsError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another bet');
  switch (bet.status) {
    case 'DEBITING':
      throw inProgress();
    case 'DEBITED':
      if (!bet.answeredStatus) throw inProgress();
      return answerOf(bet, bet.answeredStatus);
    case 'SETTLED':
      return answerOf(bet, bet.answeredStatus ?? 'SETTLED');
    case 'VOID':
      throw walletRefused(bet.errorCode ?? 'UNKNOWN');
    default:
      throw walletUnavailable();
  }
}

/** A bet recorded with its outcome, its debit about to be sent. */
interface RecordedBet {
  id: string;
  roundId: string;
  roll: number;
  amountMinor: bigint;
  winMinor: bigint;
  createdAt: Date;
}

/**
 * POST /bets (docs/api/rgs-operators.md): a dice bet of a live session of the operator, paid only through the
 * platform. In order, each step in a transaction of its own and no network call inside one:
 * (1) the bet, its round (the outcome, from the next nonce of the player's seed pair) and a
 * rollback guard due after the lease; (2) the debit; (3) its answer: taken (the guard dropped,
 * the win written to the settlement outbox), refused (the bet void) or unanswered (the guard due
 * now: the settlement loop rolls the stake back); (4) the win, whose failure leaves it to the loop.
 * A crash anywhere leaves either nothing, or a guard or a win that the loop completes.
 */
export async function placeBet(deps: BetDeps, operator: Operator, idempotencyKey: string | undefined, body: unknown, context: BetContext): Promise<BetAnswer> {
  if (!idempotencyKey) throw invalidRequest('the Idempotency-Key header is required');
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidRequest('Idempotency-Key: 1 to 128 letters, digits and . : _ -');
  const request = parseBody(betRequest, body);
  const fingerprint = sha256(JSON.stringify([request.session_token, request.amount, request.pick]));
  const earlier = await findBet(deps.prisma, operator.id, idempotencyKey);
  if (earlier) return replay(earlier, fingerprint);

  const session = await liveSession(deps.prisma, operator.id, request.session_token);
  let amountMinor: bigint;
  try {
    amountMinor = parseMoney(request.amount, session.currency);
  } catch (error) {
    if (error instanceof MoneyFormatError) throw invalidRequest(`amount: ${error.message}`);
    throw error;
  }
  const audited: AuditEntry = {
    action: 'bet.refused',
    targetType: 'session',
    targetId: session.id,
    details: { player_id: session.account, amount: request.amount, currency: session.currency, pick: request.pick, idempotency_key: idempotencyKey },
  };
  let limits: OperatorLimits | null;
  try {
    limits = await readLimits(deps.prisma, operator.id, session.currency);
  } catch (error) {
    deps.log.error({ err: error, currency: session.currency }, 'the operator limits could not be read: the bet is refused');
    limits = null;
  }
  if (!limits) return refuse(deps.prisma, operator, context.requestId, new RgsError('LIMITS_UNAVAILABLE', `the operator's ${session.currency} limits cannot be read`), audited);
  const refusal = betRefusal(operator, limits, session.jurisdiction, amountMinor);
  if (refusal) return refuse(deps.prisma, operator, context.requestId, refusal, audited);

  let recorded: RecordedBet;
  try {
    recorded = await recordBet(deps, operator, session, limits, { amountMinor, pick: request.pick, idempotencyKey, fingerprint, audited }, context);
  } catch (error) {
    // A twin of this request (same key) recorded its bet first.
    const twin = uniqueViolation(error) ? await findBet(deps.prisma, operator.id, idempotencyKey) : null;
    if (twin) return replay(twin, fingerprint);
    throw error;
  }
  deps.metrics.betsPlaced.inc();
  return debitAndSettle(deps, operator, session, recorded, context);
}

/**
 * Step 1: with the player's row locked (their bets, one at a time), the responsible-gaming checks
 * and the daily limits on the bets so far, then the next nonce of their seed pair, the outcome,
 * the round, the bet and its rollback guard. A refusal commits only its audit entry (and, past the
 * session's play time, the session's end).
 */
async function recordBet(
  deps: BetDeps,
  operator: Operator,
  session: SessionRecord,
  limits: OperatorLimits,
  bet: { amountMinor: bigint; pick: number; idempotencyKey: string; fingerprint: Buffer; audited: AuditEntry },
  context: BetContext,
): Promise<RecordedBet> {
  const outcome = await journaled(deps.prisma, context.requestId, async (tx, journal) => {
    await lockPlayer(tx, operator.id, session.playerId);
    const refusal = await betProtectionRefusal(tx, journal, deps, { operator, session, limits, amountMinor: bet.amountMinor });
    if (refusal) {
      journal.audit(operator.id, refusalEntry(refusal, bet.audited));
      return { refusal };
    }
    const [pair] = await tx.$queryRawUnsafe<{ id: string; server_seed_sealed: Uint8Array; client_seed: string; nonce: number }[]>(
      `UPDATE rgs.seed_pair SET next_nonce = next_nonce + 1
        WHERE player_id = $1::uuid AND operator_id = $2::uuid AND revealed_at IS NULL
        RETURNING id, server_seed_sealed, client_seed, next_nonce - 1 AS nonce`,
      session.playerId,
      operator.id,
    );
    if (!pair) throw new Error(`player ${session.playerId} has no active seed pair`);
    const roll = diceRoll(deps.box.open('server_seed', pair.server_seed_sealed), pair.client_seed, pair.nonce);
    const winMinor = diceWin(bet.amountMinor, bet.pick, roll, session.houseEdgeBps);
    const roundId = uuidv7();
    const betId = uuidv7();
    // On the responsible-gaming clock, whose periods the limits sum bets over.
    const createdAt = deps.clock();
    await tx.$executeRawUnsafe(
      INSERT_ROUND_AND_BET,
      roundId,
      betId,
      operator.id,
      session.playerId,
      session.gameId,
      pair.id,
      pair.nonce,
      roll,
      session.id,
      bet.idempotencyKey,
      bet.fingerprint.toString('hex'),
      session.currency,
      bet.amountMinor.toString(),
      bet.pick,
      winMinor.toString(),
      createdAt,
    );
    const ids = transactionIds(betId);
    await writeSettlement(
      tx,
      { operatorId: operator.id, betId, action: 'ROLLBACK', transactionId: ids.rollback, amountMinor: null },
      { dueInMs: deps.leaseMs, held: false },
    );
    journal.event(operator.id, 'bet.placed', {
      bet_id: betId,
      round_id: roundId,
      player_id: session.account,
      game_code: session.gameCode,
      amount: formatMoney(bet.amountMinor, session.currency),
      currency: session.currency,
      pick: bet.pick,
    });
    return { bet: { id: betId, roundId, roll, amountMinor: bet.amountMinor, winMinor, createdAt } };
  }).catch((error: unknown) => {
    // The player's limits could not be read (LIMITS_UNAVAILABLE): refused, audited in a transaction of its own, nothing recorded.
    if (error instanceof RgsError) return refuse(deps.prisma, operator, context.requestId, error, bet.audited);
    throw error;
  });
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.bet;
}

/** The bet's round (its outcome) and the bet, DEBITING, in one statement (ids from uuidv7, as Prisma's model writes make them). */
const INSERT_ROUND_AND_BET = `WITH round AS (
    INSERT INTO rgs.round (id, operator_id, player_id, game_id, seed_pair_id, nonce, roll)
    VALUES ($1::uuid, $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7::int, $8::int)
    RETURNING id
  )
  INSERT INTO rgs.bet (id, operator_id, player_id, session_id, round_id, idempotency_key, request_sha256, currency, amount_minor, pick, win_minor, status, created_at)
  SELECT $2::uuid, $3::uuid, $4::uuid, $9::uuid, round.id, $10, decode($11, 'hex'), $12, $13::bigint, $14::int, $15::bigint, 'DEBITING', $16::timestamptz
    FROM round`;

/** Steps 2 to 4: the debit, what its answer decides, and the first attempt at the win. */
async function debitAndSettle(deps: BetDeps, operator: Operator, session: SessionRecord, bet: RecordedBet, context: BetContext): Promise<BetAnswer> {
  const ids = transactionIds(bet.id);
  const call = { account: session.account, currency: session.currency, roundId: bet.roundId, gameCode: session.gameCode };
  deps.metrics.debitCalls.inc();
  const debit = await deps.wallet.call(operator, 'bet', { ...call, transactionId: ids.debit, amount: formatMoney(bet.amountMinor, session.currency) }, context.traceparent);
  if (debit.outcome !== 'ok') deps.metrics.debitFailures.inc({ reason: debit.outcome });

  const decided = await journaled(deps.prisma, context.requestId, async (tx, journal) => {
    journal.event(operator.id, 'wallet.debit', {
      bet_id: bet.id,
      transaction_id: ids.debit,
      outcome: debit.outcome,
      ...(debit.outcome === 'ok' ? { balance: debit.balance, duplicate: debit.duplicate } : {}),
      ...(debit.outcome === 'refused' ? { error_code: debit.errorCode } : {}),
      ...(debit.outcome === 'unavailable' ? { error: debit.reason } : {}),
    });
    const status = debit.outcome === 'ok' ? 'DEBITED' : debit.outcome === 'refused' ? 'VOID' : 'ROLLING_BACK';
    const errorCode = debit.outcome === 'refused' ? debit.errorCode : debit.outcome === 'unavailable' ? 'WALLET_UNAVAILABLE' : null;
    // Conditional: the settlement loop may have claimed the guard already (this debit outlived the lease).
    const moved = await tx.$executeRawUnsafe(
      `UPDATE rgs.bet SET status = $2::rgs."RgsBetStatus", error_code = $3 WHERE id = $1::uuid AND status = 'DEBITING'`,
      bet.id,
      status,
      errorCode,
    );
    if (moved === 0) return { outcome: 'taken over' as const };
    if (debit.outcome === 'unavailable') {
      await tx.$executeRawUnsafe(`UPDATE rgs.settlement_outbox SET next_attempt_at = now() WHERE transaction_id = $1`, ids.rollback);
      journal.event(operator.id, 'bet.rolling_back', { bet_id: bet.id, reason: debit.reason });
      return { outcome: 'unavailable' as const };
    }
    await tx.$executeRawUnsafe(`DELETE FROM rgs.settlement_outbox WHERE transaction_id = $1`, ids.rollback);
    if (debit.outcome === 'refused') {
      journal.event(operator.id, 'bet.voided', { bet_id: bet.id, error_code: debit.errorCode });
      return { outcome: 'refused' as const, errorCode: debit.errorCode };
    }
    const winAmount = formatMoney(bet.winMinor, session.currency);
    journal.event(operator.id, 'round.completed', { round_id: bet.roundId, bet_id: bet.id, roll: bet.roll, win_amount: winAmount });
    const settlementId = await writeSettlement(
      tx,
      { operatorId: operator.id, betId: bet.id, action: 'WIN', transactionId: ids.win, amountMinor: bet.winMinor },
      { dueInMs: deps.leaseMs, held: true },
    );
    return { outcome: 'taken' as const, settlementId };
  });
  if (decided.outcome === 'refused') throw walletRefused(decided.errorCode);
  if (decided.outcome !== 'taken') throw walletUnavailable();

  const held: HeldSettlement = {
    id: decided.settlementId,
    operator,
    betId: bet.id,
    action: 'WIN',
    transactionId: ids.win,
    amountMinor: bet.winMinor,
    attempt: 1,
    answersBet: true,
    betCreatedAt: bet.createdAt,
    ...call,
  };
  const settled = await deps.settlements.attempt(held, context.traceparent);
  return {
    bet_id: bet.id,
    round_id: bet.roundId,
    roll: bet.roll,
    win_amount: formatMoney(bet.winMinor, session.currency),
    status: settled ? 'SETTLED' : 'PENDING_SETTLEMENT',
  };
}
