import { STREAMS, type TypedEnvelope } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { OutboxTransaction } from '@rgb/events';
import type { Redis } from 'ioredis';
import { localDay } from './program-rules';

/**
 * The programs' figures, from the wallet's events: per player, day (the brand's time zone, day of
 * the event's occurred_at) and game category, the stakes of the bets settled and the wins paid;
 * per approved deposit, the lowest balances the player's bets left before a withdrawal or the
 * next deposit (lossback). Each event is applied once (the consumer's inbox); each bet's stake
 * counts once, on the day it settled, and a rollback takes back exactly that stake from that day.
 * A rolled-back bet's wins stay counted: the wallet paid them, only the stake came back. Local
 * days are PostgreSQL's `(occurred_at AT TIME ZONE brand timezone)::date` (DST included).
 * The consumer keeps how far it has applied (applied_through): periods are settled behind it.
 */

/** The consumer group (and inbox consumer) that applies the wallet's events to the programs' figures. */
export const ACTIVITY_GROUP = 'promotion.activity';

async function addToDay(
  tx: OutboxTransaction,
  { brandId, playerId, occurredAt, timezone, category }: { brandId: string; playerId: string; occurredAt: string; timezone: string; category: string },
  stake: bigint,
  win: bigint,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO promotion.player_day_activity (brand_id, player_id, day, game_category, stake, win)
    VALUES (${brandId}::uuid, ${playerId}::uuid, (${occurredAt}::timestamptz AT TIME ZONE ${timezone})::date, ${category}, ${stake}, ${win})
    ON CONFLICT (brand_id, player_id, day, game_category)
    DO UPDATE SET stake = promotion.player_day_activity.stake + EXCLUDED.stake, win = promotion.player_day_activity.win + EXCLUDED.win`;
}

/** BET_SETTLED_CONFIRMED: its stake (once per bet, unless rolled back first) and its win on the event's day; the player's new low for lossback. The day it counted on. */
export async function countSettlement(tx: OutboxTransaction, timezone: string, event: TypedEnvelope<'BET_SETTLED_CONFIRMED'>): Promise<string> {
  const bet = event.payload;
  const where = { brandId: event.brand_id, playerId: bet.player_id, occurredAt: event.occurred_at, timezone, category: bet.game_category };
  let stake = BigInt(bet.bet_amount_minor);
  if (stake > 0n) {
    const recorded = await tx.$executeRaw`
      INSERT INTO promotion.bet (provider_code, transaction_id, brand_id, player_id, day, game_category, stake)
      VALUES (${bet.provider_code}, ${bet.transaction_id}, ${event.brand_id}::uuid, ${bet.player_id}::uuid,
        (${event.occurred_at}::timestamptz AT TIME ZONE ${timezone})::date, ${bet.game_category}, ${stake})
      ON CONFLICT DO NOTHING`;
    // Rolled back before this settlement came (or counted already): its stake counts nothing.
    if (recorded === 0) stake = 0n;
  }
  const win = BigInt(bet.win_amount_minor);
  if (stake > 0n || win > 0n) await addToDay(tx, where, stake, win);
  await recordLow(tx, event.brand_id, bet.player_id, BigInt(bet.balance_after_minor), event.occurred_at, timezone);
  return localDay(new Date(event.occurred_at), timezone);
}

/** BET_ROLLED_BACK_CONFIRMED: the bet's stake taken back from the day it counted, once; first, a marker that its settlement counts nothing. The day taken back from, if any. */
export async function takeBackRollback(tx: OutboxTransaction, timezone: string, event: TypedEnvelope<'BET_ROLLED_BACK_CONFIRMED'>): Promise<string | null> {
  const bet = event.payload;
  // Inserted: the rollback came first. Updated: it counted, take it back. Neither: done already.
  const [marked] = await tx.$queryRaw<{ inserted: boolean; day: Date; game_category: string; stake: bigint }[]>`
    INSERT INTO promotion.bet (provider_code, transaction_id, brand_id, player_id, day, game_category, stake, rolled_back)
    VALUES (${bet.provider_code}, ${bet.transaction_id}, ${event.brand_id}::uuid, ${bet.player_id}::uuid,
      (${event.occurred_at}::timestamptz AT TIME ZONE ${timezone})::date, ${bet.game_category}, 0, true)
    ON CONFLICT (provider_code, transaction_id) DO UPDATE SET rolled_back = true WHERE promotion.bet.rolled_back = false
    RETURNING (xmax = 0) AS inserted, day, game_category, stake`;
  if (!marked || marked.inserted) return null;
  await tx.$executeRaw`
    UPDATE promotion.player_day_activity SET stake = stake - ${marked.stake}
    WHERE brand_id = ${event.brand_id}::uuid AND player_id = ${bet.player_id}::uuid AND day = ${marked.day}::date AND game_category = ${marked.game_category}`;
  return marked.day.toISOString().slice(0, 10);
}

/** DEPOSIT_APPROVED: a new lossback episode; the player's previous one closes (it was not lost before this deposit). */
export async function openDepositEpisode(tx: OutboxTransaction, event: TypedEnvelope<'DEPOSIT_APPROVED'>): Promise<void> {
  const deposit = event.payload;
  await closeEpisodes(tx, event.brand_id, deposit.player_id, event.occurred_at);
  await tx.$executeRaw`
    INSERT INTO promotion.deposit_episode (deposit_request_id, brand_id, player_id, amount, balance_after, approved_at)
    VALUES (${deposit.request_id}::uuid, ${event.brand_id}::uuid, ${deposit.player_id}::uuid, ${BigInt(deposit.amount_minor)},
      ${BigInt(deposit.balance_after_minor)}, ${event.occurred_at}::timestamptz)
    ON CONFLICT DO NOTHING`;
}

/** WITHDRAW_REQUESTED: the player's open episode closes: a deposit is lost only before any withdrawal. */
export const closeOnWithdrawal = (tx: OutboxTransaction, event: TypedEnvelope<'WITHDRAW_REQUESTED'>) =>
  closeEpisodes(tx, event.brand_id, event.payload.player_id, event.occurred_at);

async function closeEpisodes(tx: OutboxTransaction, brandId: string, playerId: string, at: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE promotion.deposit_episode SET closed_at = ${at}::timestamptz
    WHERE brand_id = ${brandId}::uuid AND player_id = ${playerId}::uuid AND closed_at IS NULL AND approved_at <= ${at}::timestamptz`;
}

/** A balance a settled bet left: kept when it is a new low of the player's open episode. */
async function recordLow(tx: OutboxTransaction, brandId: string, playerId: string, balance: bigint, at: string, timezone: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO promotion.deposit_low (deposit_request_id, brand_id, balance, at, day)
    SELECT episode.deposit_request_id, episode.brand_id, ${balance}, ${at}::timestamptz, (${at}::timestamptz AT TIME ZONE ${timezone})::date
    FROM promotion.deposit_episode episode
    WHERE episode.brand_id = ${brandId}::uuid AND episode.player_id = ${playerId}::uuid AND episode.closed_at IS NULL
      AND episode.approved_at <= ${at}::timestamptz
      AND ${balance} < LEAST(episode.balance_after,
        COALESCE((SELECT min(low.balance) FROM promotion.deposit_low low WHERE low.deposit_request_id = episode.deposit_request_id), episode.balance_after))`;
}

/** The consumer has applied an event that occurred at `occurredAt`: its applied_through moves forward (never back). */
export async function advanceAppliedThrough(tx: OutboxTransaction, consumer: string, occurredAt: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO promotion.applied_through (consumer, occurred_at) VALUES (${consumer}, ${occurredAt}::timestamptz)
    ON CONFLICT (consumer) DO UPDATE SET occurred_at = GREATEST(promotion.applied_through.occurred_at, EXCLUDED.occurred_at)`;
}

/** Whether a run of any of the brand's programs has settled the period holding `day`: a change to that day now is not paid. */
export async function daySettled(tx: OutboxTransaction, brandId: string, day: string): Promise<boolean> {
  const [found] = await tx.$queryRaw<{ settled: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM promotion.settlement_run
      WHERE brand_id = ${brandId}::uuid AND period_start <= ${day}::date AND period_end > ${day}::date
    ) AS settled`;
  return found?.settled ?? false;
}

const fieldsOf = (reply: unknown[]): Record<string, unknown> => {
  const fields: Record<string, unknown> = {};
  for (let index = 0; index + 1 < reply.length; index += 2) fields[String(reply[index])] = reply[index + 1];
  return fields;
};

/**
 * How far the programs' figures are complete: the latest occurred_at the activity consumer
 * applied, provided its group has read every entry of the wallet stream and has none pending;
 * null otherwise (behind, or nothing applied yet).
 */
export async function activityAppliedThrough(prisma: PrismaClient, redis: Redis): Promise<Date | null> {
  // No stream yet: nothing applied.
  if ((await redis.exists(STREAMS.wallet)) === 0) return null;
  const stream = fieldsOf((await redis.xinfo('STREAM', STREAMS.wallet)) as unknown[]);
  const group = ((await redis.xinfo('GROUPS', STREAMS.wallet)) as unknown[][]).map(fieldsOf).find((candidate) => candidate.name === ACTIVITY_GROUP);
  if (!group || Number(group.pending) > 0 || group['last-delivered-id'] !== stream['last-generated-id']) return null;
  const applied = await prisma.promotionAppliedThrough.findUnique({ where: { consumer: ACTIVITY_GROUP } });
  return applied?.occurredAt ?? null;
}
