import type { ProviderMoneyCall } from '@rgb/contracts';
import { directSql, type Game, type PrismaClient, type Provider, statement } from '@rgb/db';
import type { CallbackAction, CallbackResponse } from './callbacks/contract';
import type { ResolvedAccount } from './players';

/** A money call the wallet accepted: it goes into the player's round. */
export interface MoneyCallRecord {
  account: ResolvedAccount;
  game: Game;
  action: Exclude<CallbackAction, 'balance'>;
  call: ProviderMoneyCall;
  roundClosed: boolean;
}

/** A callback as received: its action, request_id, parsed body and the SHA-256 (hex) of its raw bytes. */
export interface CallbackRequest {
  action: CallbackAction;
  requestId: string;
  body: unknown;
  sha256: string;
}

export interface AnsweredCallback {
  provider: Provider;
  request: CallbackRequest;
  response: CallbackResponse;
  /** Present when the callback moved (or repeated) money: recorded in the round with the answer. */
  money?: MoneyCallRecord;
}

const LOG_ANSWER_SQL = `INSERT INTO game.callback_log (id, provider_id, request_id, action, request_body, response_status, response_body, request_sha256)
  VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4::jsonb, $5, $6::jsonb, decode($7, 'hex'))
  ON CONFLICT (provider_id, request_id) DO NOTHING`;

// The answer, the round (closed when the call says so) and the call's row, in one statement: a
// callback costs the game one lookup and this one write. Of two concurrent twins of a request_id
// the first stored answer wins; a repeated transaction (its row exists) adds nothing to the round,
// whose totals are summed from its rows when read.
const LOG_ANSWER = statement(LOG_ANSWER_SQL);
const LOG_ANSWER_AND_ROUND = statement(`WITH answer AS (${LOG_ANSWER_SQL}), round AS (
    INSERT INTO game.game_round (id, brand_id, player_id, provider_id, game_id, round_id, currency, status, closed_at)
    VALUES (gen_random_uuid(), $8::uuid, $9::uuid, $1::uuid, $10::uuid, $11, $12,
            CASE WHEN $17 THEN 'CLOSED'::game."RoundStatus" ELSE 'OPEN'::game."RoundStatus" END,
            CASE WHEN $17 THEN now() END)
    ON CONFLICT (provider_id, player_id, round_id) DO UPDATE SET
      status = CASE WHEN $17 THEN 'CLOSED'::game."RoundStatus" ELSE game_round.status END,
      closed_at = CASE WHEN $17 AND game_round.closed_at IS NULL THEN now() ELSE game_round.closed_at END
    RETURNING id
  ), stake AS (
    SELECT coalesce((SELECT b.amount FROM game.game_bet b JOIN round r ON b.round_pk = r.id
                     WHERE b.kind = 'BET' AND b.transaction_id = $15), 0) AS amount
  )
  INSERT INTO game.game_bet (id, round_pk, kind, transaction_id, reference_transaction_id, amount)
  SELECT gen_random_uuid(), round.id, $13::game."GameBetKind", $14, $15,
         CASE WHEN $13 = 'ROLLBACK' THEN stake.amount ELSE $16::bigint END
  FROM round, stake
  ON CONFLICT (round_pk, transaction_id) DO NOTHING`);

const BET_KIND = { bet: 'BET', win: 'WIN', rollback: 'ROLLBACK' } as const;

/** Stores a callback's answer under its request_id and, for money, the round: one statement. */
export async function recordCallback(prisma: PrismaClient, { provider, request, response, money }: AnsweredCallback): Promise<void> {
  const answer = [provider.id, request.requestId, request.action, JSON.stringify(request.body), response.status, JSON.stringify(response.body), request.sha256];
  const sql = directSql(prisma);
  if (!money) {
    await sql.count(LOG_ANSWER, answer);
    return;
  }
  const { account, game, call, roundClosed } = money;
  // A rollback names no amount: its row takes its bet's stake.
  const amount = 'amount' in call ? call.amount : 0n;
  const reference = 'referenceTransactionId' in call ? (call.referenceTransactionId ?? null) : null;
  await sql.count(LOG_ANSWER_AND_ROUND, [
    ...answer,
    account.brand.id,
    account.playerId,
    game.id,
    call.roundId,
    account.brand.currency,
    BET_KIND[money.action],
    call.transactionId,
    reference,
    amount.toString(),
    roundClosed,
  ]);
}
