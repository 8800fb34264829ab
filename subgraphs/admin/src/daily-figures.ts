import { badUserInput, type Envelope, notFound, type STREAMS } from '@rgb/contracts';
import type { DailyFigure, DailyFigureEventKind, Prisma, PrismaClient } from '@rgb/db';
import type { EventHandlers } from '@rgb/events';
import type { Logger, ScheduledJob } from '@rgb/kit';
import { isUuid } from '@rgb/kit';
import { actingStaff, assertBrandInScope, authorize } from './authorization';
import type { Context } from './context';

export const DAILY_FIGURES_JOB = 'admin.daily_figures';
const HOUR_MS = 3_600_000;
/** The longest range `dailyFigures` answers at once: a year, leap day included. */
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

/** A day's figures with the currency their amounts are in. */
export type DailyFigureRecord = DailyFigure & { currency: string };

/** One event the daily figures count, kept with the instant that decides its day. */
async function recordFigureEvent(
  tx: Prisma.TransactionClient,
  event: Envelope,
  kind: DailyFigureEventKind,
  amountMinor: string,
  occurredAt: string,
): Promise<void> {
  await tx.dailyFigureEvent.create({
    data: { eventId: event.event_id, brandId: event.brand_id, kind, amountMinor: BigInt(amountMinor), occurredAt: new Date(occurredAt) },
  });
}

/** The wallet's decisions the figures count, on the day the wallet took them. */
export const walletFigureHandlers: EventHandlers<typeof STREAMS.wallet> = {
  DEPOSIT_APPROVED: (tx, event) => recordFigureEvent(tx, event, 'DEPOSIT_APPROVED', event.payload.amount_minor, event.occurred_at),
  WITHDRAW_APPROVED: (tx, event) => recordFigureEvent(tx, event, 'WITHDRAWAL_APPROVED', event.payload.amount_minor, event.occurred_at),
  // A pending withdrawal declined was never counted; an approved one declined (bounced) is counted back on its own day.
  WITHDRAW_DECLINED: async (tx, event) => {
    if (event.payload.previous_status === 'APPROVED') await recordFigureEvent(tx, event, 'WITHDRAWAL_REVERSED', event.payload.amount_minor, event.occurred_at);
  },
};

/** Registrations, on the day the player registered (as the top-info counts them). */
export const playerFigureHandlers: EventHandlers<typeof STREAMS.player> = {
  PLAYER_REGISTERED: (tx, event) => recordFigureEvent(tx, event, 'PLAYER_REGISTERED', '0', event.payload.registered_at),
};

/**
 * Recomputes, from daily_figure_event, every brand's today and yesterday (in the brand's time
 * zone) and each earlier day that received an event since the last rollup (a backlog, a first
 * run after the consumer read the stream's history), and upserts them whole: a repeat writes the
 * same figures. The events counted are marked in the same statement. Rollups take turns (a
 * transaction lock), so a second run, after a lease taken over, counts what the first committed.
 * Returns the days written.
 */
export async function rollUpDailyFigures(prisma: PrismaClient): Promise<number> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${DAILY_FIGURES_JOB}))`;
    return tx.$executeRaw`
      WITH counted AS (
        UPDATE admin.daily_figure_event SET rolled_up = true WHERE NOT rolled_up RETURNING brand_id, occurred_at
      ), days AS (
        SELECT b.id AS brand_id, b.timezone, d.day
          FROM admin.brand b
          CROSS JOIN LATERAL (
            SELECT (now() AT TIME ZONE b.timezone)::date AS day
            UNION SELECT (now() AT TIME ZONE b.timezone)::date - 1
            UNION SELECT (c.occurred_at AT TIME ZONE b.timezone)::date FROM counted c WHERE c.brand_id = b.id
          ) d
      ), bounds AS (
        SELECT brand_id, day, day::timestamp AT TIME ZONE timezone AS starts, (day + 1)::timestamp AT TIME ZONE timezone AS ends FROM days
      )
      INSERT INTO admin.daily_figure (brand_id, day, deposits_approved_count, deposits_approved_minor, withdrawals_approved_count,
                                     withdrawals_approved_minor, withdrawals_reversed_count, withdrawals_reversed_minor,
                                     players_registered, computed_at)
      SELECT d.brand_id, d.day,
             count(e.event_id) FILTER (WHERE e.kind = 'DEPOSIT_APPROVED'),
             coalesce(sum(e.amount_minor) FILTER (WHERE e.kind = 'DEPOSIT_APPROVED'), 0),
             count(e.event_id) FILTER (WHERE e.kind = 'WITHDRAWAL_APPROVED'),
             coalesce(sum(e.amount_minor) FILTER (WHERE e.kind = 'WITHDRAWAL_APPROVED'), 0),
             count(e.event_id) FILTER (WHERE e.kind = 'WITHDRAWAL_REVERSED'),
             coalesce(sum(e.amount_minor) FILTER (WHERE e.kind = 'WITHDRAWAL_REVERSED'), 0),
             count(e.event_id) FILTER (WHERE e.kind = 'PLAYER_REGISTERED'),
             now()
        FROM bounds d
        LEFT JOIN admin.daily_figure_event e ON e.brand_id = d.brand_id AND e.occurred_at >= d.starts AND e.occurred_at < d.ends
       GROUP BY d.brand_id, d.day
      ON CONFLICT (brand_id, day) DO UPDATE SET
        deposits_approved_count = EXCLUDED.deposits_approved_count, deposits_approved_minor = EXCLUDED.deposits_approved_minor,
        withdrawals_approved_count = EXCLUDED.withdrawals_approved_count, withdrawals_approved_minor = EXCLUDED.withdrawals_approved_minor,
        withdrawals_reversed_count = EXCLUDED.withdrawals_reversed_count, withdrawals_reversed_minor = EXCLUDED.withdrawals_reversed_minor,
        players_registered = EXCLUDED.players_registered, computed_at = EXCLUDED.computed_at`;
  });
}

/** `admin.daily_figures`, every hour. */
export function dailyFiguresJob({ prisma, log }: { prisma: PrismaClient; log: Logger }): ScheduledJob {
  return {
    name: DAILY_FIGURES_JOB,
    intervalMs: HOUR_MS,
    async run() {
      const days = await rollUpDailyFigures(prisma);
      log.info({ days }, 'daily figures rolled up');
    },
  };
}

/** A calendar day `YYYY-MM-DD` as midnight UTC (how Prisma reads and writes a `date`). */
function calendarDay(value: string, name: string): Date {
  const day = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) {
    throw badUserInput(`${name} must be a date YYYY-MM-DD`);
  }
  return day;
}

/** `dailyFigures`: staff with `reports.read` and the brand in scope; the days computed from `from` to `to`, oldest first. */
export async function dailyFigures(context: Context, brandId: string, from: string, to: string): Promise<DailyFigureRecord[]> {
  const actor = await actingStaff(context.prisma, authorize(context.caller, 'reports.read'));
  assertBrandInScope(actor, brandId);
  const first = calendarDay(from, 'from');
  const last = calendarDay(to, 'to');
  if (first > last) throw badUserInput('from must not be after to');
  if ((last.getTime() - first.getTime()) / DAY_MS + 1 > MAX_DAYS) throw badUserInput(`at most ${MAX_DAYS} days at once`);
  const brand = isUuid(brandId) ? await context.loaders.brandById.load(brandId) : null;
  if (!brand) throw notFound(`no brand ${brandId}`);
  const figures = await context.prisma.dailyFigure.findMany({ where: { brandId, day: { gte: first, lte: last } }, orderBy: { day: 'asc' } });
  return figures.map((figure) => ({ ...figure, currency: brand.currency }));
}
