import { type Envelope, formatMoney, type STREAMS, type TypedEnvelope } from '@rgb/contracts';
import { Prisma, type PendingRequestKind, type PrismaClient } from '@rgb/db';
import type { EventHandlers } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import type { Redis } from 'ioredis';

/**
 * PLAYER_REGISTERED → one more new player on that day, the day cut in the brand's own time
 * zone. An unknown brand has no time zone: the statement fails and the event is retried, then
 * parked, rather than counted on a wrong day.
 */
export async function countRegistration(tx: Prisma.TransactionClient, event: TypedEnvelope<'PLAYER_REGISTERED'>): Promise<void> {
  const registeredAt = event.payload.registered_at;
  await tx.$executeRaw`
    INSERT INTO admin.player_registration_daily (brand_id, day, count)
    VALUES (${event.brand_id}::uuid,
            (${registeredAt}::timestamptz AT TIME ZONE (SELECT timezone FROM admin.brand WHERE id = ${event.brand_id}::uuid))::date,
            1)
    ON CONFLICT (brand_id, day) DO UPDATE SET count = admin.player_registration_daily.count + 1`;
}

const PENDING_COLUMNS = {
  DEPOSIT: { count: 'deposit_count', amount: 'deposit_amount_minor' },
  WITHDRAWAL: { count: 'withdrawal_count', amount: 'withdrawal_amount_minor' },
} as const satisfies Record<PendingRequestKind, unknown>;

type RequestEvent = Envelope & { payload: { request_id: string; amount_minor: string } };

/**
 * A request joins (+1) or leaves (-1) its brand's pending queue. Additions commute, so events
 * applied in any order (a retried one after its successor) end at the same totals; the inbox
 * makes each count once.
 */
async function changePending(tx: Prisma.TransactionClient, event: RequestEvent, kind: PendingRequestKind, direction: 1 | -1): Promise<void> {
  const { count, amount } = PENDING_COLUMNS[kind];
  await tx.$executeRawUnsafe(
    `INSERT INTO admin.pending_request_totals (brand_id, ${count}, ${amount}, updated_at) VALUES ($1::uuid, $2, $3::bigint, now())
     ON CONFLICT (brand_id) DO UPDATE SET ${count} = admin.pending_request_totals.${count} + EXCLUDED.${count},
       ${amount} = admin.pending_request_totals.${amount} + EXCLUDED.${amount}, updated_at = now()`,
    event.brand_id,
    direction,
    (BigInt(direction) * BigInt(event.payload.amount_minor)).toString(),
  );
}

/**
 * The request's own row, with when it was made, so that the stale ones can be counted. A decision
 * applied before its request (a retried event after its successor) leaves a row without
 * `requested_at`, which the request then removes instead of queueing: in either order the request
 * ends up not pending.
 */
async function joinPending(tx: Prisma.TransactionClient, event: RequestEvent, kind: PendingRequestKind): Promise<void> {
  await changePending(tx, event, kind, 1);
  await tx.$executeRaw`
    WITH decided_first AS (
      DELETE FROM admin.pending_request WHERE request_id = ${event.payload.request_id}::uuid AND requested_at IS NULL RETURNING 1
    )
    INSERT INTO admin.pending_request (request_id, brand_id, kind, amount_minor, requested_at)
    SELECT ${event.payload.request_id}::uuid, ${event.brand_id}::uuid, ${kind}::admin."PendingRequestKind",
           ${event.payload.amount_minor}::bigint, ${event.occurred_at}::timestamptz
    WHERE NOT EXISTS (SELECT 1 FROM decided_first)`;
}

async function leavePending(tx: Prisma.TransactionClient, event: RequestEvent, kind: PendingRequestKind): Promise<void> {
  await changePending(tx, event, kind, -1);
  await tx.$executeRaw`
    WITH requested AS (DELETE FROM admin.pending_request WHERE request_id = ${event.payload.request_id}::uuid RETURNING 1)
    INSERT INTO admin.pending_request (request_id, brand_id, kind, amount_minor, requested_at)
    SELECT ${event.payload.request_id}::uuid, ${event.brand_id}::uuid, ${kind}::admin."PendingRequestKind", ${event.payload.amount_minor}::bigint, NULL
    WHERE NOT EXISTS (SELECT 1 FROM requested)`;
}

/** The wallet's request events as the pending queues: a request is pending from its request to its first decision. */
export const pendingRequestHandlers: EventHandlers<typeof STREAMS.wallet> = {
  DEPOSIT_REQUESTED: (tx, event) => joinPending(tx, event, 'DEPOSIT'),
  DEPOSIT_APPROVED: (tx, event) => leavePending(tx, event, 'DEPOSIT'),
  DEPOSIT_DECLINED: (tx, event) => leavePending(tx, event, 'DEPOSIT'),
  WITHDRAW_REQUESTED: (tx, event) => joinPending(tx, event, 'WITHDRAWAL'),
  WITHDRAW_APPROVED: (tx, event) => leavePending(tx, event, 'WITHDRAWAL'),
  // An approved withdrawal declined later (its transfer bounced) left the queue when approved.
  WITHDRAW_DECLINED: async (tx, event) => {
    if (event.payload.previous_status === 'PENDING') await leavePending(tx, event, 'WITHDRAWAL');
  },
};

/**
 * A text joins (+1) or leaves (-1) its brand's reconciliation review queue. Additions commute, so
 * a closing applied before its opening (a retried event after its successor) ends at the same
 * count; the inbox makes each count once.
 */
async function changeReconReview(tx: Prisma.TransactionClient, brandId: string, direction: 1 | -1): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO admin.recon_review_totals (brand_id, open_count, updated_at) VALUES (${brandId}::uuid, ${direction}, now())
    ON CONFLICT (brand_id) DO UPDATE SET open_count = admin.recon_review_totals.open_count + EXCLUDED.open_count, updated_at = now()`;
}

/** The recon stream's review queue changes as each brand's count of texts waiting for staff. */
export const reconReviewHandlers: EventHandlers<typeof STREAMS.recon> = {
  RECON_REVIEW_OPENED: (tx, event) => changeReconReview(tx, event.brand_id, 1),
  RECON_REVIEW_CLOSED: (tx, event) => changeReconReview(tx, event.brand_id, -1),
};

/**
 * The pending requests waiting now for longer than their brand's threshold (brand_config): a
 * SELECT of pending_request rows, for a subquery, that the top-info and the stale-request check both count.
 */
export const STALE_PENDING_REQUESTS = Prisma.sql`
  SELECT r.* FROM admin.pending_request r JOIN admin.brand_config c ON c.brand_id = r.brand_id
   WHERE r.requested_at <= now() - make_interval(mins => CASE r.kind WHEN 'DEPOSIT' THEN c.stale_deposit_after_minutes
                                                                     ELSE c.stale_withdrawal_after_minutes END)`;

/** Where admin_worker says that a brand's figures changed (published after the commit); the message is the brand id. */
export const TOP_INFO_CHANNEL = 'rgb:admin:top-info';

/** After a commit: one notice per brand whose figures changed. */
export async function notifyTopInfo(redis: Redis, brandIds: Iterable<string>): Promise<void> {
  const pipeline = redis.pipeline();
  for (const brandId of new Set(brandIds)) pipeline.publish(TOP_INFO_CHANNEL, brandId);
  const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
  if (failed) throw failed[0];
}

/** The live figures of one brand's back office, as the `TopInfo` type serves them. */
export interface TopInfoFigures {
  pendingDepositCount: number;
  pendingDepositAmount: string;
  pendingWithdrawalCount: number;
  pendingWithdrawalAmount: string;
  stalePendingDepositCount: number;
  stalePendingWithdrawalCount: number;
  newPlayersToday: number;
  unmatchedReconCount: number;
  /** When the figures were read (ISO 8601). */
  updatedAt: string;
}

/** Whether two readings agree in everything but the time they were read. */
export const sameFigures = (a: TopInfoFigures, b: TopInfoFigures): boolean =>
  a.pendingDepositCount === b.pendingDepositCount &&
  a.pendingDepositAmount === b.pendingDepositAmount &&
  a.pendingWithdrawalCount === b.pendingWithdrawalCount &&
  a.pendingWithdrawalAmount === b.pendingWithdrawalAmount &&
  a.stalePendingDepositCount === b.stalePendingDepositCount &&
  a.stalePendingWithdrawalCount === b.stalePendingWithdrawalCount &&
  a.newPlayersToday === b.newPlayersToday &&
  a.unmatchedReconCount === b.unmatchedReconCount;

/**
 * The brand's figures now: its pending queues, those of their requests waiting past the brand's
 * threshold, today's registrations (today in the brand's time zone) and the texts in its
 * reconciliation review queue, in one statement.
 */
export async function readTopInfo(prisma: PrismaClient, brand: BrandRef): Promise<TopInfoFigures> {
  const [row] = await prisma.$queryRaw<
    {
      deposit_count: number;
      deposit_amount_minor: bigint;
      withdrawal_count: number;
      withdrawal_amount_minor: bigint;
      stale_deposit_count: number;
      stale_withdrawal_count: number;
      new_players_today: number;
      recon_review_count: number;
      read_at: Date;
    }[]
  >`
    SELECT coalesce(p.deposit_count, 0) AS deposit_count,
           coalesce(p.deposit_amount_minor, 0)::bigint AS deposit_amount_minor,
           coalesce(p.withdrawal_count, 0) AS withdrawal_count,
           coalesce(p.withdrawal_amount_minor, 0)::bigint AS withdrawal_amount_minor,
           stale.deposit_count AS stale_deposit_count,
           stale.withdrawal_count AS stale_withdrawal_count,
           coalesce((SELECT d.count FROM admin.player_registration_daily d
                      WHERE d.brand_id = b.id AND d.day = (now() AT TIME ZONE b.timezone)::date), 0) AS new_players_today,
           coalesce(r.open_count, 0) AS recon_review_count,
           now() AS read_at
      FROM admin.brand b LEFT JOIN admin.pending_request_totals p ON p.brand_id = b.id
      LEFT JOIN admin.recon_review_totals r ON r.brand_id = b.id
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE s.kind = 'DEPOSIT')::int AS deposit_count, count(*) FILTER (WHERE s.kind = 'WITHDRAWAL')::int AS withdrawal_count
          FROM (${STALE_PENDING_REQUESTS}) s WHERE s.brand_id = b.id
      ) stale
     WHERE b.id = ${brand.id}::uuid`;
  if (!row) throw new Error(`no brand ${brand.id}`);
  return {
    pendingDepositCount: row.deposit_count,
    pendingDepositAmount: formatMoney(row.deposit_amount_minor, brand.currency),
    pendingWithdrawalCount: row.withdrawal_count,
    pendingWithdrawalAmount: formatMoney(row.withdrawal_amount_minor, brand.currency),
    stalePendingDepositCount: row.stale_deposit_count,
    stalePendingWithdrawalCount: row.stale_withdrawal_count,
    newPlayersToday: row.new_players_today,
    unmatchedReconCount: row.recon_review_count,
    updatedAt: row.read_at.toISOString(),
  };
}
