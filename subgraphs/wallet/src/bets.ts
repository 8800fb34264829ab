import { randomUUID } from 'node:crypto';
import { type BetCall, DomainError, ErrorCode, formatMoney, type ProviderCall, type RollbackCall, type WinCall } from '@rgb/contracts';
import { directSql, type PrismaClient, type ProviderTransaction, type ProviderTransactionKind, statement, uniqueViolation } from '@rgb/db';
import { appendToOutbox, buildEnvelope, ringOutbox } from '@rgb/events';
import { balanceIn, inTransaction, move, type Tx } from './ledger';

export interface ProviderResult {
  balance: bigint;
  currency: string;
  /** An exact repeat of a transaction id: the first result, nothing moved. */
  duplicate: boolean;
}

const fail = (code: ErrorCode, message: string) => new DomainError(code, message);

/**
 * Claims the provider's transaction id for this call. Returns null when the id is new; the
 * earlier record when it is not (a concurrent twin waits on the unique index until the first
 * commits, then sees it).
 */
async function claim(tx: Tx, kind: ProviderTransactionKind, call: ProviderCall, amount: bigint | null, reference: string | null, betStatus: 'OPEN' | null) {
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO wallet.provider_transaction
       (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, reference_transaction_id, bet_status)
     VALUES (gen_random_uuid(), $1, $2, $3::wallet."ProviderTransactionKind", $4::uuid, $5::uuid, $6::bigint, $7, $8, $9, $10, $11::wallet."BetStatus")
     ON CONFLICT (provider_code, transaction_id) DO NOTHING
     RETURNING id`,
    call.providerCode,
    call.transactionId,
    kind,
    call.brand.id,
    call.playerId,
    amount?.toString() ?? null,
    call.roundId,
    call.gameCode,
    call.gameCategory,
    reference,
    betStatus,
  );
  if (inserted[0]) return { id: inserted[0].id, earlier: null };
  const earlier = await tx.providerTransaction.findUniqueOrThrow({
    where: { providerCode_transactionId: { providerCode: call.providerCode, transactionId: call.transactionId } },
  });
  return { id: null, earlier };
}

/** An exact repeat answers the first result; the same id for anything else is refused. */
function repeatOf(earlier: ProviderTransaction, kind: ProviderTransactionKind, call: ProviderCall, amount: bigint | null, reference: string | null): ProviderResult {
  const same =
    earlier.kind === kind &&
    earlier.playerId === call.playerId &&
    earlier.brandId === call.brand.id &&
    earlier.amount === amount &&
    earlier.roundId === call.roundId &&
    (earlier.referenceTransactionId ?? null) === reference;
  if (!same) throw fail(ErrorCode.DUPLICATE_TRANSACTION, `transaction ${call.transactionId} was already used for another call`);
  return { balance: earlier.balanceAfter ?? 0n, currency: call.brand.currency, duplicate: true };
}

async function recordBalance(tx: Tx, id: string, balance: bigint): Promise<void> {
  await tx.$executeRawUnsafe(`UPDATE wallet.provider_transaction SET balance_after = $2::bigint WHERE id = $1::uuid`, id, balance.toString());
}

/**
 * The whole of a bet in one statement, so one round trip and the account row locked only for
 * it: the conditional debit, the provider transaction and the ledger entry are written together
 * or not at all. A repeated (or rolled-back) transaction id violates the claim's unique index,
 * which aborts the statement, debit included.
 */
const PLACE_BET = statement(`
  WITH debit AS (
    UPDATE wallet.wallet_account SET balance = balance - $1::bigint, updated_at = now()
    WHERE player_id = $2::uuid AND brand_id = $3::uuid AND currency = $4 AND balance >= $1::bigint
    RETURNING id, balance
  ), claim AS (
    INSERT INTO wallet.provider_transaction
      (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, bet_status, balance_after)
    SELECT gen_random_uuid(), $5, $6, 'BET'::wallet."ProviderTransactionKind", $3::uuid, $2::uuid, $1::bigint, $7, $8, $9,
           'OPEN'::wallet."BetStatus", debit.balance FROM debit
    RETURNING id
  ), entry AS (
    INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by, created_at)
    SELECT gen_random_uuid(), debit.id, $3::uuid, $2::uuid, 'BET'::wallet."LedgerKind", -$1::bigint, debit.balance, $10, $11, $12, clock_timestamp() FROM debit
    RETURNING id
  )
  SELECT debit.balance FROM debit, claim, entry`);

/** Debits a bet; refused when its id was rolled back before it arrived, or the balance is short. */
export function placeBet(prisma: PrismaClient, call: BetCall): Promise<ProviderResult> {
  return withBalanceOnRefusal(prisma, call, () => (call.repeatOnly ? unplacedBet(prisma, call) : placeNewBet(prisma, call)));
}

async function placeNewBet(prisma: PrismaClient, call: BetCall): Promise<ProviderResult> {
  try {
    const [placed] = await directSql(prisma).rows<{ balance: string }>(PLACE_BET, [
      call.amount.toString(),
      call.playerId,
      call.brand.id,
      call.brand.currency,
      call.providerCode,
      call.transactionId,
      call.roundId,
      call.gameCode,
      call.gameCategory,
      `${call.providerCode}:${call.roundId}`,
      `bet:${call.providerCode}:${call.transactionId}`,
      `provider:${call.providerCode}`,
    ]);
    if (placed) return { balance: BigInt(placed.balance), currency: call.brand.currency, duplicate: false };
  } catch (error) {
    if (!uniqueViolation(error)) throw error;
  }
  return unplacedBet(prisma, call);
}

/** Why a bet wrote nothing: its id was used (a repeat, a rollback, another call), another currency, or too little money. */
async function unplacedBet(prisma: PrismaClient, call: BetCall): Promise<ProviderResult> {
  const earlier = await prisma.providerTransaction.findUnique({
    where: { providerCode_transactionId: { providerCode: call.providerCode, transactionId: call.transactionId } },
  });
  if (earlier) {
    if (earlier.kind === 'BET' && earlier.betStatus === 'ROLLED_BACK') {
      throw fail(ErrorCode.TRANSACTION_ROLLED_BACK, `bet ${call.transactionId} was rolled back`);
    }
    return repeatOf(earlier, 'BET', call, call.amount, null);
  }
  if (call.repeatOnly) throw fail(ErrorCode.TRANSACTION_NOT_FOUND, `no bet ${call.transactionId} to repeat`);
  const balance = await balanceIn(prisma, call.brand, { playerId: call.playerId });
  throw new DomainError(ErrorCode.INSUFFICIENT_FUNDS, 'insufficient funds', { balance: formatMoney(balance, call.brand.currency) });
}

/**
 * The common win, naming an open bet of the player, in one statement: the bet settled, the
 * credit, the win's claim, its ledger entry and its event, all or nothing. The bet is settled only
 * while the player's account is in the brand's currency, and the credit only with the bet, so the
 * two conditions stand or fall together; a repeated win id violates the claim's unique index,
 * which aborts the statement.
 */
const SETTLE_WIN = statement(`
  WITH bet AS (
    UPDATE wallet.provider_transaction SET bet_status = 'SETTLED'::wallet."BetStatus"
    WHERE id = $1::uuid AND bet_status = 'OPEN'
      AND EXISTS (SELECT 1 FROM wallet.wallet_account WHERE player_id = $3::uuid AND brand_id = $4::uuid AND currency = $5)
    RETURNING id
  ), credit AS (
    UPDATE wallet.wallet_account SET balance = balance + $2::bigint, updated_at = now()
    WHERE player_id = $3::uuid AND brand_id = $4::uuid AND currency = $5 AND EXISTS (SELECT 1 FROM bet)
    RETURNING id, balance
  ), claim AS (
    INSERT INTO wallet.provider_transaction
      (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, reference_transaction_id, balance_after)
    SELECT gen_random_uuid(), $6, $7, 'WIN'::wallet."ProviderTransactionKind", $4::uuid, $3::uuid, $2::bigint, $8, $9, $10, $11, credit.balance
    FROM credit
    RETURNING id
  ), entry AS (
    INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by, created_at)
    SELECT $12::uuid, credit.id, $4::uuid, $3::uuid, 'WIN'::wallet."LedgerKind", $2::bigint, credit.balance, $13, $14, $15, clock_timestamp()
    FROM credit WHERE $2::bigint > 0
    RETURNING id
  ), event AS (
    INSERT INTO wallet.outbox (event_id, event_type, brand_id, envelope)
    SELECT $16::uuid, 'BET_SETTLED_CONFIRMED', $4::uuid, jsonb_set($17::jsonb, '{payload,balance_after_minor}', to_jsonb(credit.balance::text))
    FROM credit
    RETURNING id
  )
  SELECT credit.balance FROM credit, claim, event`);

const OPEN_BET = statement(`
  SELECT id, amount, round_id, game_code, game_category FROM wallet.provider_transaction
  WHERE provider_code = $1 AND transaction_id = $2 AND kind = 'BET' AND player_id = $3::uuid AND bet_status = 'OPEN'`);

/**
 * Credits a win and settles the bet it names, or without a reference the player's open bets of
 * the round. Refused when that bet does not exist or was rolled back.
 */
export function settleWin(prisma: PrismaClient, call: WinCall): Promise<ProviderResult> {
  return withBalanceOnRefusal(prisma, call, async () => (await settleWinInOneStatement(prisma, call)) ?? settleWinInTransaction(prisma, call));
}

/** The one-statement path; null when the call is anything but a fresh win on an open bet (then the transaction decides). */
async function settleWinInOneStatement(prisma: PrismaClient, call: WinCall): Promise<ProviderResult | null> {
  const reference = call.referenceTransactionId;
  if (!reference) return null;
  const sql = directSql(prisma);
  const [bet] = await sql.rows<{ id: string; amount: string; round_id: string; game_code: string; game_category: string }>(OPEN_BET, [
    call.providerCode,
    reference,
    call.playerId,
  ]);
  if (!bet) return null;
  const entryId = call.amount > 0n ? randomUUID() : null;
  // The balance after the credit is known only inside the statement, which writes it into the payload.
  const envelope = buildEnvelope('wallet.outbox', {
    type: 'BET_SETTLED_CONFIRMED',
    owner: { brandId: call.brand.id },
    brandId: call.brand.id,
    aggregateType: 'bet',
    aggregateId: bet.id,
    payload: {
      player_id: call.playerId,
      provider_code: call.providerCode,
      transaction_id: reference,
      round_id: bet.round_id,
      game_code: bet.game_code,
      game_category: bet.game_category,
      bet_amount_minor: bet.amount,
      win_amount_minor: call.amount.toString(),
      balance_after_minor: '0',
      currency: call.brand.currency,
      win_ledger_entry_id: entryId,
    },
  });
  try {
    const [settled] = await sql.rows<{ balance: string }>(SETTLE_WIN, [
      bet.id,
      call.amount.toString(),
      call.playerId,
      call.brand.id,
      call.brand.currency,
      call.providerCode,
      call.transactionId,
      call.roundId,
      call.gameCode,
      call.gameCategory,
      reference,
      entryId,
      `${call.providerCode}:${call.roundId}`,
      `win:${call.providerCode}:${call.transactionId}`,
      `provider:${call.providerCode}`,
      envelope.event_id,
      JSON.stringify(envelope),
    ]);
    if (!settled) return null;
    // The statement committed its event: its publisher takes it now rather than at its next poll.
    ringOutbox(prisma, 'wallet.outbox');
    return { balance: BigInt(settled.balance), currency: call.brand.currency, duplicate: false };
  } catch (error) {
    if (uniqueViolation(error)) return null;
    throw error;
  }
}

function settleWinInTransaction(prisma: PrismaClient, call: WinCall): Promise<ProviderResult> {
  const reference = call.referenceTransactionId ?? null;
  return inTransaction(prisma, async (tx) => {
    const { id, earlier } = await claim(tx, 'WIN', call, call.amount, reference, null);
    if (earlier) return repeatOf(earlier, 'WIN', call, call.amount, reference);
    const bets = await betsSettledBy(tx, call, reference);
    const paid =
      call.amount > 0n
        ? await move(tx, {
            brand: call.brand,
            playerId: call.playerId,
            kind: 'WIN',
            amount: call.amount,
            reference: `${call.providerCode}:${call.roundId}`,
            commandKey: `win:${call.providerCode}:${call.transactionId}`,
            causedBy: `provider:${call.providerCode}`,
          })
        : null;
    const balance = paid?.balanceAfter ?? (await balanceIn(tx, call.brand, { playerId: call.playerId }));
    const currency = paid?.currency ?? call.brand.currency;
    await recordBalance(tx, id!, balance);
    // The win goes to the first bet it settles; a stake counts once, when its bet is first settled.
    for (const [index, bet] of bets.entries()) {
      const firstSettlement = bet.betStatus === 'OPEN';
      if (firstSettlement) await tx.providerTransaction.update({ where: { id: bet.id }, data: { betStatus: 'SETTLED' } });
      await appendToOutbox(tx, 'wallet.outbox', {
        type: 'BET_SETTLED_CONFIRMED',
        owner: bet,
        brandId: call.brand.id,
        aggregateType: 'bet',
        aggregateId: bet.id,
        payload: {
          player_id: call.playerId,
          provider_code: call.providerCode,
          transaction_id: bet.transactionId,
          round_id: bet.roundId,
          game_code: bet.gameCode,
          game_category: bet.gameCategory,
          bet_amount_minor: (firstSettlement ? (bet.amount ?? 0n) : 0n).toString(),
          win_amount_minor: (index === 0 ? call.amount : 0n).toString(),
          balance_after_minor: balance.toString(),
          currency,
          win_ledger_entry_id: index === 0 ? (paid?.entryId ?? null) : null,
        },
      });
    }
    return { balance, currency, duplicate: false };
  });
}

/** The bets a win settles: the one it names, or else the round's open bets (or, for a further win, its settled bet). */
async function betsSettledBy(tx: Tx, call: ProviderCall, reference: string | null): Promise<ProviderTransaction[]> {
  const bets = await tx.$queryRawUnsafe<{ id: string }[]>(
    reference
      ? `SELECT id FROM wallet.provider_transaction
         WHERE provider_code = $1 AND player_id = $2::uuid AND kind = 'BET' AND transaction_id = $3 FOR UPDATE`
      : `SELECT id FROM wallet.provider_transaction
         WHERE provider_code = $1 AND player_id = $2::uuid AND kind = 'BET' AND round_id = $3 ORDER BY created_at FOR UPDATE`,
    call.providerCode,
    call.playerId,
    reference ?? call.roundId,
  );
  const rows = await tx.providerTransaction.findMany({ where: { id: { in: bets.map((bet) => bet.id) } }, orderBy: { createdAt: 'asc' } });
  const open = rows.filter((bet) => bet.betStatus === 'OPEN');
  if (open.length > 0) return open;
  const settled = rows.find((bet) => bet.betStatus === 'SETTLED');
  if (settled) return [settled];
  if (rows.length > 0) {
    throw fail(ErrorCode.TRANSACTION_ROLLED_BACK, reference ? `bet ${reference} was rolled back` : `the bets of round ${call.roundId} were rolled back`);
  }
  throw fail(ErrorCode.TRANSACTION_NOT_FOUND, reference ? `no bet ${reference}` : `no bet in round ${call.roundId}`);
}

/**
 * Restores a bet's stake, once. A rollback of a bet not seen yet succeeds, moves nothing, and
 * leaves the bet's id rolled back, so the bet arriving later is refused. Wins are never rolled
 * back: a rollback naming anything but a bet of this player succeeds and moves nothing, as for an
 * unknown bet (its id is taken, so no bet can arrive with it), and the provider stops retrying.
 */
export function rollbackBet(prisma: PrismaClient, call: RollbackCall): Promise<ProviderResult> {
  const reference = call.referenceTransactionId;
  return withBalanceOnRefusal(prisma, call, () => inTransaction(prisma, async (tx) => {
    const { id, earlier } = await claim(tx, 'ROLLBACK', call, null, reference, null);
    if (earlier) return repeatOf(earlier, 'ROLLBACK', call, null, reference);
    const betCall = { ...call, transactionId: reference };
    const bet = await claimTombstone(tx, betCall);
    let balance: bigint;
    let currency = call.brand.currency;
    if (!bet || bet.betStatus === 'ROLLED_BACK' || bet.kind !== 'BET' || bet.playerId !== call.playerId) {
      balance = await balanceIn(tx, call.brand, { playerId: call.playerId });
    } else {
      const moved = await move(tx, {
        brand: call.brand,
        playerId: call.playerId,
        kind: 'BET_ROLLBACK',
        amount: bet.amount ?? 0n,
        reference: `${call.providerCode}:${bet.roundId}`,
        commandKey: `rollback:${call.providerCode}:${reference}`,
        causedBy: `provider:${call.providerCode}`,
      });
      await tx.providerTransaction.update({ where: { id: bet.id }, data: { betStatus: 'ROLLED_BACK' } });
      await appendToOutbox(tx, 'wallet.outbox', {
        type: 'BET_ROLLED_BACK_CONFIRMED',
        owner: bet,
        brandId: call.brand.id,
        aggregateType: 'bet',
        aggregateId: bet.id,
        payload: {
          player_id: call.playerId,
          account_id: moved.accountId,
          ledger_entry_id: moved.entryId,
          amount_minor: (bet.amount ?? 0n).toString(),
          balance_after_minor: moved.balanceAfter.toString(),
          currency: moved.currency,
          provider_code: call.providerCode,
          transaction_id: reference,
          round_id: bet.roundId,
          game_code: bet.gameCode,
          game_category: bet.gameCategory,
        },
      });
      ({ balanceAfter: balance, currency } = moved);
    }
    await recordBalance(tx, id!, balance);
    return { balance, currency, duplicate: false };
  }));
}

/** Refusals a provider call may meet once its amount and account are valid; each answers with the balance (docs/api/providers.md: a failure carries the balance when known). */
const REFUSALS_WITH_BALANCE = new Set<string>([ErrorCode.DUPLICATE_TRANSACTION, ErrorCode.TRANSACTION_NOT_FOUND, ErrorCode.TRANSACTION_ROLLED_BACK]);

async function withBalanceOnRefusal(prisma: PrismaClient, call: ProviderCall, run: () => Promise<ProviderResult>): Promise<ProviderResult> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DomainError) || !REFUSALS_WITH_BALANCE.has(error.code) || error.details.balance !== undefined) throw error;
    let balance: bigint;
    try {
      balance = await balanceIn(prisma, call.brand, { playerId: call.playerId });
    } catch (lookup) {
      // An account kept in another currency has no balance to show in this one: the refusal stands as it was.
      if (lookup instanceof DomainError) throw error;
      throw lookup;
    }
    throw new DomainError(error.code, error.message, { ...error.details, balance: formatMoney(balance, call.brand.currency) });
  }
}

/**
 * The bet a rollback names, locked; null when the provider has not sent it yet, in which case a
 * rolled-back placeholder now holds its id.
 */
async function claimTombstone(tx: Tx, bet: ProviderCall): Promise<ProviderTransaction | null> {
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO wallet.provider_transaction
       (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, bet_status)
     VALUES (gen_random_uuid(), $1, $2, 'BET', $3::uuid, $4::uuid, NULL, $5, $6, $7, 'ROLLED_BACK')
     ON CONFLICT (provider_code, transaction_id) DO NOTHING
     RETURNING id`,
    bet.providerCode,
    bet.transactionId,
    bet.brand.id,
    bet.playerId,
    bet.roundId,
    bet.gameCode,
    bet.gameCategory,
  );
  if (inserted[0]) return null;
  const [locked] = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id FROM wallet.provider_transaction WHERE provider_code = $1 AND transaction_id = $2 FOR UPDATE`,
    bet.providerCode,
    bet.transactionId,
  );
  return tx.providerTransaction.findUniqueOrThrow({ where: { id: locked!.id } });
}
