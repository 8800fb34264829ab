import type { Game, PrismaClient, Provider } from '@rgb/db';
import type { CallbackAction } from './callbacks/contract';
import type { ResolvedAccount } from './players';
import type { MoneyCall } from './wallet-client';

export interface MoneyCallRecord {
  account: ResolvedAccount;
  provider: Provider;
  game: Game;
  action: Exclude<CallbackAction, 'balance'>;
  call: MoneyCall;
  roundClosed: boolean;
}

/**
 * Records an accepted money call in the player's round (one row per provider transaction, so a
 * repeat records nothing).
 */
export async function recordMoneyCall(prisma: PrismaClient, { account, provider, game, action, call, roundClosed }: MoneyCallRecord): Promise<void> {
  const kind = action === 'bet' ? 'BET' : action === 'win' ? 'WIN' : 'ROLLBACK';
  // One statement: the round (closed when the call says so) and the call's row. A repeat
  // (the row exists) writes nothing; a round's totals are summed from its rows when read.
  await prisma.$executeRawUnsafe(
    `WITH round AS (
       INSERT INTO game.game_round (id, brand_id, player_id, provider_id, game_id, round_id, currency, status, closed_at)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6,
               CASE WHEN $11 THEN 'CLOSED'::game."RoundStatus" ELSE 'OPEN'::game."RoundStatus" END,
               CASE WHEN $11 THEN now() END)
       ON CONFLICT (provider_id, player_id, round_id) DO UPDATE SET
         status = CASE WHEN $11 THEN 'CLOSED'::game."RoundStatus" ELSE game_round.status END,
         closed_at = CASE WHEN $11 AND game_round.closed_at IS NULL THEN now() ELSE game_round.closed_at END
       RETURNING id
     ), stake AS (
       SELECT coalesce((SELECT b.amount FROM game.game_bet b JOIN round r ON b.round_pk = r.id
                        WHERE b.kind = 'BET' AND b.transaction_id = $9), 0) AS amount
     )
     INSERT INTO game.game_bet (id, round_pk, kind, transaction_id, reference_transaction_id, amount)
     SELECT gen_random_uuid(), round.id, $7::game."GameBetKind", $8, $9,
            CASE WHEN $7 = 'ROLLBACK' THEN stake.amount ELSE $10::bigint END
     FROM round, stake
     ON CONFLICT (round_pk, transaction_id) DO NOTHING`,
    account.brand.id,
    account.playerId,
    provider.id,
    game.id,
    call.roundId,
    account.brand.currency,
    kind,
    call.transactionId,
    call.referenceTransactionId ?? null,
    (call.amountMinor ?? 0n).toString(),
    roundClosed,
  );
}
