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
 * repeat records nothing) and keeps the round's totals: bets in, wins out, rolled-back stakes
 * taken back out of the bets.
 */
export async function recordMoneyCall(prisma: PrismaClient, { account, provider, game, action, call, roundClosed }: MoneyCallRecord): Promise<void> {
  const kind = action === 'bet' ? 'BET' : action === 'win' ? 'WIN' : 'ROLLBACK';
  await prisma.$transaction(async (tx) => {
    // The round and the call's row first; a statement cannot also update the row it inserts.
    const [recorded] = await tx.$queryRawUnsafe<{ round_pk: string; amount: bigint }[]>(
      `WITH round AS (
         INSERT INTO game.game_round (id, brand_id, player_id, provider_id, game_id, round_id, currency)
         VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, $6)
         ON CONFLICT (provider_id, player_id, round_id) DO UPDATE SET round_id = EXCLUDED.round_id
         RETURNING id
       ), stake AS (
         SELECT coalesce((SELECT b.amount FROM game.game_bet b JOIN round r ON b.round_pk = r.id
                          WHERE b.kind = 'BET' AND b.transaction_id = $9), 0) AS amount
       )
       INSERT INTO game.game_bet (id, round_pk, kind, transaction_id, reference_transaction_id, amount)
       SELECT gen_random_uuid(), round.id, $7::game."GameBetKind", $8, $9,
              CASE WHEN $7 = 'ROLLBACK' THEN stake.amount ELSE $10::bigint END
       FROM round, stake
       ON CONFLICT (round_pk, transaction_id) DO NOTHING
       RETURNING round_pk, amount`,
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
    );
    // A repeat (the row exists) changes no total.
    if (!recorded) return;
    const betDelta = kind === 'BET' ? recorded.amount : kind === 'ROLLBACK' ? -recorded.amount : 0n;
    const winDelta = kind === 'WIN' ? recorded.amount : 0n;
    await tx.$executeRawUnsafe(
      `UPDATE game.game_round SET total_bet = total_bet + $2::bigint, total_win = total_win + $3::bigint,
         status = CASE WHEN $4 THEN 'CLOSED'::game."RoundStatus" ELSE status END,
         closed_at = CASE WHEN $4 AND closed_at IS NULL THEN now() ELSE closed_at END
       WHERE id = $1::uuid`,
      recorded.round_pk,
      betDelta.toString(),
      winDelta.toString(),
      roundClosed,
    );
  });
}
