import type { BrandConfigContract, TypedEnvelope } from '@rgb/contracts';
import { appendToOutbox, type OutboxTransaction } from '@rgb/events';
import { contributionBps, weightedTurnover } from './rules';

/**
 * Turnover: each settled bet's stake, weighted by its game category, fills the player's oldest
 * requirement active when the bet settled, the overflow the next one, and so on; a rolled-back bet takes back exactly
 * what it gave to requirements still active. A completed requirement stays completed: the wallet
 * has been told, and the player may have withdrawn since. Each bet counts once, whatever the
 * number of its events and their order (a rollback seen first leaves the bet counting nothing).
 */

interface OpenRequirement {
  id: string;
  player_id: string;
  currency: string;
  required: bigint;
  accrued: bigint;
}

/** BET_SETTLED_CONFIRMED: the bet's stake, counted once (a further win on a settled bet carries a zero stake). */
export async function countSettledBet(tx: OutboxTransaction, config: BrandConfigContract, event: TypedEnvelope<'BET_SETTLED_CONFIRMED'>): Promise<void> {
  const bet = event.payload;
  const stake = BigInt(bet.bet_amount_minor);
  if (stake === 0n) return;
  const contribution = weightedTurnover(stake, contributionBps(config, bet.game_category));
  // A category that counts nothing can give nothing, and take nothing back.
  if (contribution === 0n) return;
  // The requirements the bet may fill: those that had begun when it settled and had not lapsed,
  // so that a backlog of earlier bets never fills a bonus granted after them. Locked oldest
  // first, as every writer of a player's requirements locks them: no deadlock between two of
  // one player's events.
  const settledAt = new Date(event.occurred_at);
  const open = await tx.$queryRaw<OpenRequirement[]>`
    SELECT id, player_id, currency, required, accrued FROM rolling.rolling
    WHERE brand_id = ${event.brand_id}::uuid AND player_id = ${bet.player_id}::uuid AND status = 'ACTIVE'
      AND created_at <= ${settledAt} AND (expires_at IS NULL OR expires_at > ${settledAt})
    ORDER BY created_at, id FOR UPDATE`;
  // Nothing to fill: the bet is not recorded (most bets: brands without requirements). The wallet
  // carries a bet's stake on its first settlement only, so no later event of it can count.
  if (open.length === 0) return;
  const recorded = await tx.$executeRaw`
    INSERT INTO rolling.bet_turnover (provider_code, transaction_id, brand_id, player_id, contribution)
    VALUES (${bet.provider_code}, ${bet.transaction_id}, ${event.brand_id}::uuid, ${bet.player_id}::uuid, ${contribution})
    ON CONFLICT DO NOTHING`;
  // Counted already, or rolled back before this event came.
  if (recorded === 0) return;
  let left = contribution;
  for (const requirement of open) {
    if (left === 0n) break;
    const room = requirement.required - requirement.accrued;
    const taken = room < left ? room : left;
    if (taken <= 0n) continue;
    left -= taken;
    const accrued = requirement.accrued + taken;
    const completes = accrued >= requirement.required;
    await tx.$executeRaw`
      UPDATE rolling.rolling SET accrued = ${accrued},
        status = CASE WHEN ${completes} THEN 'COMPLETED'::rolling."RollingStatus" ELSE status END,
        ended_at = CASE WHEN ${completes} THEN now() ELSE ended_at END,
        next_notify_at = CASE WHEN ${completes} THEN now() ELSE next_notify_at END
      WHERE id = ${requirement.id}::uuid`;
    await tx.$executeRaw`
      INSERT INTO rolling.turnover_allocation (provider_code, transaction_id, rolling_id, amount)
      VALUES (${bet.provider_code}, ${bet.transaction_id}, ${requirement.id}::uuid, ${taken})`;
    if (completes) {
      await appendToOutbox(tx, 'rolling.outbox', {
        type: 'ROLLING_COMPLETED',
        owner: { brandId: event.brand_id },
        brandId: event.brand_id,
        aggregateType: 'rolling',
        aggregateId: requirement.id,
        payload: {
          rolling_id: requirement.id,
          player_id: requirement.player_id,
          required_minor: requirement.required.toString(),
          accrued_minor: accrued.toString(),
          currency: requirement.currency,
        },
      });
    }
  }
}

/** BET_ROLLED_BACK_CONFIRMED: what the bet gave to requirements still active is taken back, once. */
export async function takeBackRolledBackBet(tx: OutboxTransaction, event: TypedEnvelope<'BET_ROLLED_BACK_CONFIRMED'>): Promise<void> {
  const bet = event.payload;
  // Inserted: the rollback came first, and the bet will count nothing. Updated: it counted, take it back. Neither: done already.
  const [marked] = await tx.$queryRaw<{ inserted: boolean }[]>`
    INSERT INTO rolling.bet_turnover (provider_code, transaction_id, brand_id, player_id, contribution, rolled_back)
    VALUES (${bet.provider_code}, ${bet.transaction_id}, ${event.brand_id}::uuid, ${bet.player_id}::uuid, 0, true)
    ON CONFLICT (provider_code, transaction_id) DO UPDATE SET rolled_back = true WHERE rolling.bet_turnover.rolled_back = false
    RETURNING (xmax = 0) AS inserted`;
  if (!marked || marked.inserted) return;
  const given = await tx.$queryRaw<{ rolling_id: string; amount: bigint }[]>`
    SELECT allocation.rolling_id, allocation.amount
    FROM rolling.turnover_allocation allocation JOIN rolling.rolling requirement ON requirement.id = allocation.rolling_id
    WHERE allocation.provider_code = ${bet.provider_code} AND allocation.transaction_id = ${bet.transaction_id}
      AND requirement.status = 'ACTIVE'
    ORDER BY requirement.created_at, requirement.id FOR UPDATE OF requirement`;
  for (const { rolling_id, amount } of given) {
    await tx.$executeRaw`UPDATE rolling.rolling SET accrued = accrued - ${amount} WHERE id = ${rolling_id}::uuid AND status = 'ACTIVE'`;
  }
}
