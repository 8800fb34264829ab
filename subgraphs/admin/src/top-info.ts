import { type Envelope, formatMoney, type STREAMS, type TypedEnvelope } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
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
  deposit: { count: 'deposit_count', amount: 'deposit_amount_minor' },
  withdrawal: { count: 'withdrawal_count', amount: 'withdrawal_amount_minor' },
} as const;

/**
 * A request joins (+1) or leaves (-1) its brand's pending queue. Additions commute, so events
 * applied in any order (a retried one after its successor) end at the same totals; the inbox
 * makes each count once.
 */
async function changePending(
  tx: Prisma.TransactionClient,
  event: Envelope & { payload: { amount_minor: string } },
  queue: keyof typeof PENDING_COLUMNS,
  direction: 1 | -1,
): Promise<void> {
  const { count, amount } = PENDING_COLUMNS[queue];
  await tx.$executeRawUnsafe(
    `INSERT INTO admin.pending_request_totals (brand_id, ${count}, ${amount}, updated_at) VALUES ($1::uuid, $2, $3::bigint, now())
     ON CONFLICT (brand_id) DO UPDATE SET ${count} = admin.pending_request_totals.${count} + EXCLUDED.${count},
       ${amount} = admin.pending_request_totals.${amount} + EXCLUDED.${amount}, updated_at = now()`,
    event.brand_id,
    direction,
    (BigInt(direction) * BigInt(event.payload.amount_minor)).toString(),
  );
}

/** The wallet's request events as the pending queues: a request is pending from its request to its first decision. */
export const pendingRequestHandlers: EventHandlers<typeof STREAMS.wallet> = {
  DEPOSIT_REQUESTED: (tx, event) => changePending(tx, event, 'deposit', 1),
  DEPOSIT_APPROVED: (tx, event) => changePending(tx, event, 'deposit', -1),
  DEPOSIT_DECLINED: (tx, event) => changePending(tx, event, 'deposit', -1),
  WITHDRAW_REQUESTED: (tx, event) => changePending(tx, event, 'withdrawal', 1),
  WITHDRAW_APPROVED: (tx, event) => changePending(tx, event, 'withdrawal', -1),
  // An approved withdrawal declined later (its transfer bounced) left the queue when approved.
  WITHDRAW_DECLINED: async (tx, event) => {
    if (event.payload.previous_status === 'PENDING') await changePending(tx, event, 'withdrawal', -1);
  },
};

/** Where admin_worker says that a brand's figures changed (published after the commit); the message is the brand id. */
export const TOP_INFO_CHANNEL = 'rgb:admin:top-info';

/** After a commit: one notice per brand whose figures the committed events changed. */
export async function notifyTopInfo(redis: Redis, events: Envelope[]): Promise<void> {
  const brands = new Set(events.map((event) => event.brand_id));
  const pipeline = redis.pipeline();
  for (const brandId of brands) pipeline.publish(TOP_INFO_CHANNEL, brandId);
  const failed = ((await pipeline.exec()) ?? []).find(([error]) => error);
  if (failed) throw failed[0];
}

/** The live figures of one brand's back office, as the `TopInfo` type serves them. */
export interface TopInfoFigures {
  pendingDepositCount: number;
  pendingDepositAmount: string;
  pendingWithdrawalCount: number;
  pendingWithdrawalAmount: string;
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
  a.newPlayersToday === b.newPlayersToday &&
  a.unmatchedReconCount === b.unmatchedReconCount;

/** The brand's figures now: its pending queues and today's registrations (today in the brand's time zone), in one statement. */
export async function readTopInfo(prisma: PrismaClient, brand: BrandRef): Promise<TopInfoFigures> {
  const [row] = await prisma.$queryRaw<
    { deposit_count: number; deposit_amount_minor: bigint; withdrawal_count: number; withdrawal_amount_minor: bigint; new_players_today: number; read_at: Date }[]
  >`
    SELECT coalesce(p.deposit_count, 0) AS deposit_count,
           coalesce(p.deposit_amount_minor, 0)::bigint AS deposit_amount_minor,
           coalesce(p.withdrawal_count, 0) AS withdrawal_count,
           coalesce(p.withdrawal_amount_minor, 0)::bigint AS withdrawal_amount_minor,
           coalesce((SELECT d.count FROM admin.player_registration_daily d
                      WHERE d.brand_id = b.id AND d.day = (now() AT TIME ZONE b.timezone)::date), 0) AS new_players_today,
           now() AS read_at
      FROM admin.brand b LEFT JOIN admin.pending_request_totals p ON p.brand_id = b.id
     WHERE b.id = ${brand.id}::uuid`;
  if (!row) throw new Error(`no brand ${brand.id}`);
  return {
    pendingDepositCount: row.deposit_count,
    pendingDepositAmount: formatMoney(row.deposit_amount_minor, brand.currency),
    pendingWithdrawalCount: row.withdrawal_count,
    pendingWithdrawalAmount: formatMoney(row.withdrawal_amount_minor, brand.currency),
    newPlayersToday: row.new_players_today,
    // The reconciliation review queue does not exist yet.
    unmatchedReconCount: 0,
    updatedAt: row.read_at.toISOString(),
  };
}
