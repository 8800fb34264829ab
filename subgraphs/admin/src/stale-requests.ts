import { badUserInput, formatMoney } from '@rgb/contracts';
import type { PendingRequestKind, PrismaClient } from '@rgb/db';
import type { Logger, Metrics, ScheduledJob } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import type { StalePendingThresholdsInput } from './generated/resolvers-types';
import { notifyTopInfo, STALE_PENDING_REQUESTS } from './top-info';

export const STALE_REQUESTS_JOB = 'admin.stale_pending_requests';
const MINUTE_MS = 60_000;
/** A threshold is at most a week. */
const MAX_STALE_AFTER_MINUTES = 10_080;
/** Requests a warning lists per brand and kind, oldest first (the counts are complete). */
const LISTED_PER_KIND = 20;

/** `updateBrandConfig`'s `stalePendingAfter` as brand_config columns; nothing when not given. */
export function staleThresholdsUpdate(input: StalePendingThresholdsInput | null | undefined) {
  if (!input) return {};
  for (const [name, minutes] of Object.entries(input)) {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_STALE_AFTER_MINUTES) {
      throw badUserInput(`stalePendingAfter.${name} must be 1 to ${MAX_STALE_AFTER_MINUTES} minutes`);
    }
  }
  return { staleDepositAfterMinutes: input.depositMinutes, staleWithdrawalAfterMinutes: input.withdrawalMinutes };
}

/** One brand's stale requests at a check. */
export interface StaleCount {
  brandId: string;
  code: string;
  depositCount: number;
  withdrawalCount: number;
  /** Differs from the previous check's count (none before counts as 0). */
  changed: boolean;
}

interface StaleRequest {
  code: string;
  currency: string;
  kind: PendingRequestKind;
  request_id: string;
  amount_minor: bigint;
  requested_at: Date;
}

/**
 * Counts every brand's stale pending requests, tells the live top-info of the brands whose count
 * changed since the previous check (a request turns stale with time, not with an event, so no
 * consumer would), then saves the counts, and warns about each brand that has any. A repeat
 * finds the counts saved and tells nobody again; a notice that fails fails the run before the
 * counts are saved, so the retry sends it.
 */
export async function checkStaleRequests(prisma: PrismaClient, redis: Redis, log: Logger): Promise<StaleCount[]> {
  const counts = await prisma.$queryRaw<StaleCount[]>`
    SELECT b.id AS "brandId", b.code,
           count(s.request_id) FILTER (WHERE s.kind = 'DEPOSIT')::int AS "depositCount",
           count(s.request_id) FILTER (WHERE s.kind = 'WITHDRAWAL')::int AS "withdrawalCount",
           (count(s.request_id) FILTER (WHERE s.kind = 'DEPOSIT') <> coalesce(c.deposit_count, 0)
             OR count(s.request_id) FILTER (WHERE s.kind = 'WITHDRAWAL') <> coalesce(c.withdrawal_count, 0)) AS changed
      FROM admin.brand b
      LEFT JOIN admin.stale_pending_check c ON c.brand_id = b.id
      LEFT JOIN (${STALE_PENDING_REQUESTS}) s ON s.brand_id = b.id
     GROUP BY b.id, b.code, c.deposit_count, c.withdrawal_count
     ORDER BY b.code`;
  const changed = counts.filter((count) => count.changed).map((count) => count.brandId);
  if (changed.length > 0) await notifyTopInfo(redis, changed);
  await prisma.$executeRaw`
    INSERT INTO admin.stale_pending_check (brand_id, deposit_count, withdrawal_count, checked_at)
    SELECT brand_id, deposit_count, withdrawal_count, now()
      FROM unnest(${counts.map((count) => count.brandId)}::uuid[], ${counts.map((count) => count.depositCount)}::int[],
                  ${counts.map((count) => count.withdrawalCount)}::int[]) AS counted (brand_id, deposit_count, withdrawal_count)
    ON CONFLICT (brand_id) DO UPDATE SET deposit_count = EXCLUDED.deposit_count, withdrawal_count = EXCLUDED.withdrawal_count, checked_at = EXCLUDED.checked_at`;
  if (counts.some((count) => count.depositCount + count.withdrawalCount > 0)) await warnAboutStale(prisma, log, counts);
  return counts;
}

/** One warning per brand with stale requests: its counts and its oldest requests of each kind. */
async function warnAboutStale(prisma: PrismaClient, log: Logger, counts: StaleCount[]): Promise<void> {
  const oldest = await prisma.$queryRaw<StaleRequest[]>`
    SELECT code, currency, kind, request_id, amount_minor, requested_at FROM (
      SELECT b.code, b.currency, s.kind, s.request_id, s.amount_minor, s.requested_at,
             row_number() OVER (PARTITION BY s.brand_id, s.kind ORDER BY s.requested_at, s.request_id) AS position
        FROM (${STALE_PENDING_REQUESTS}) s JOIN admin.brand b ON b.id = s.brand_id
    ) listed
    WHERE position <= ${LISTED_PER_KIND}
    ORDER BY code, kind, requested_at, request_id`;
  const now = Date.now();
  for (const count of counts) {
    if (count.depositCount + count.withdrawalCount === 0) continue;
    const listed = (kind: PendingRequestKind) =>
      oldest
        .filter((request) => request.code === count.code && request.kind === kind)
        .map((request) => ({
          request_id: request.request_id,
          amount: formatMoney(request.amount_minor, request.currency),
          waiting_minutes: Math.floor((now - request.requested_at.getTime()) / MINUTE_MS),
        }));
    log.warn(
      {
        brand: count.code,
        stale_deposits: count.depositCount,
        stale_withdrawals: count.withdrawalCount,
        deposits: listed('DEPOSIT'),
        withdrawals: listed('WITHDRAWAL'),
      },
      "pending requests are waiting past their brand's threshold",
    );
  }
}

/**
 * `admin.stale_pending_requests`, every minute. Its gauge is read from the saved counts on each
 * scrape, so every replica shows the last check whichever replica made it.
 */
export function staleRequestsJob({ prisma, redis, metrics, log }: { prisma: PrismaClient; redis: Redis; metrics: Metrics; log: Logger }): ScheduledJob {
  new Gauge({
    name: 'admin_stale_pending_requests',
    help: "Pending requests waiting past their brand's threshold at the last check, by brand and kind",
    labelNames: ['brand', 'kind'],
    registers: [metrics.registry],
    async collect() {
      let saved: { code: string; deposit_count: number; withdrawal_count: number }[];
      try {
        saved = await prisma.$queryRaw`
          SELECT b.code, c.deposit_count, c.withdrawal_count FROM admin.stale_pending_check c JOIN admin.brand b ON b.id = c.brand_id`;
      } catch (error) {
        log.warn({ err: error }, 'reading the stale request counts for /metrics failed; the gauge keeps its last values');
        return;
      }
      this.reset();
      for (const row of saved) {
        this.set({ brand: row.code, kind: 'deposit' }, row.deposit_count);
        this.set({ brand: row.code, kind: 'withdrawal' }, row.withdrawal_count);
      }
    },
  });
  return {
    name: STALE_REQUESTS_JOB,
    intervalMs: MINUTE_MS,
    async run() {
      await checkStaleRequests(prisma, redis, log);
    },
  };
}
