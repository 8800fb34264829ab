import { badUserInput, conflict, formatMoney, notFound } from '@rgb/contracts';
import type { Prisma, PrismaClient, PromotionProgram, SettlementItem, SettlementRun } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, type CallContext, isUuid, type Logger, pageSize } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { type BonusPayer, cancelReasonOf, cancelRequirementOfFailed, claimDue, payBonus, type PayoutQueue, type PayoutTable, recordFailedAttempt } from './payer';
import { afterLimits, applyBps, cashbackOf, endedPeriods, isDay, localDay, lostOf, type Period, periodOf, rebateOf, withinBudget } from './program-rules';
import { lockProgram } from './programs';
import { activityAppliedThrough } from './projections';
import { auditedChange } from './staff-actions';
import type { LinePage, LineView } from './views';

/**
 * The settlement saga. A run settles one period of one program, once: computing it locks the
 * program, reads the period's figures, and writes the run, its items (one per player who earned
 * something) and the program's spending in one transaction, so computing the same period again
 * (the schedule on another replica, staff on demand) finds the run and changes nothing. Each
 * A lossback's run records the deposits it counted: each is settled once per program. Each
 * PENDING item is then paid like a coupon: rolling's requirement (source id: the item's id), the
 * wallet's credit under `settlement:<item id>`, PAID; a crash between any two steps leaves it
 * PENDING, and the worker's loop repeats the steps with the same keys, which pay once. An item
 * refused by the wallet or rolling, or not delivered after its attempts, is FAILED (ADR-004: loud,
 * a metric, the worker unhealthy) until staff retry it.
 */

/** One player's line of a period: what the rate applied to, its rounded result, what is paid and why less. */
export interface SettlementLine {
  playerId: string;
  basis: bigint;
  computed: bigint;
  amount: bigint;
  cappedBy: 'PLAYER_CAP' | 'BUDGET' | null;
}

const toDate = (day: string) => new Date(`${day}T00:00:00Z`);
const dayText = (date: Date) => date.toISOString().slice(0, 10);

/** What a period earns: each player's basis and rounded result by player id, and (lossback) the deposits it counts. */
interface Earnings {
  earned: Map<string, { basis: bigint; computed: bigint }>;
  deposits: string[];
}

async function earnings(db: Prisma.TransactionClient | PrismaClient, program: PromotionProgram, period: Period): Promise<Earnings> {
  const earned = new Map<string, { basis: bigint; computed: bigint }>();
  const deposits: string[] = [];
  const [start, end] = [toDate(period.start), toDate(period.end)];
  if (program.kind === 'REBATE') {
    const rows = await db.$queryRaw<{ player_id: string; game_category: string; stake: bigint }[]>`
      SELECT player_id, game_category, sum(stake)::bigint AS stake FROM promotion.player_day_activity
      WHERE brand_id = ${program.brandId}::uuid AND day >= ${start}::date AND day < ${end}::date
      GROUP BY player_id, game_category`;
    const byPlayer = new Map<string, Map<string, bigint>>();
    for (const row of rows) byPlayer.set(row.player_id, (byPlayer.get(row.player_id) ?? new Map()).set(row.game_category, row.stake));
    for (const [playerId, stakes] of byPlayer) earned.set(playerId, rebateOf(stakes, program.categoryRatesBps as Record<string, number>));
  } else if (program.kind === 'CASHBACK') {
    const rows = await db.$queryRaw<{ player_id: string; stake: bigint; win: bigint }[]>`
      SELECT player_id, sum(stake)::bigint AS stake, sum(win)::bigint AS win FROM promotion.player_day_activity
      WHERE brand_id = ${program.brandId}::uuid AND day >= ${start}::date AND day < ${end}::date
      GROUP BY player_id`;
    for (const row of rows) earned.set(row.player_id, cashbackOf(row.stake, row.win, program.rateBps ?? 0));
  } else {
    // Each deposit whose balance first fell under the threshold (before any withdrawal or next deposit) during the period,
    // unless a run of the program counted it already (under another threshold). Only deposits with a low under the
    // threshold in the period can qualify: the brand's lows of the period's days (brand_id, day) are read, not every episode.
    const rows = await db.$queryRaw<{ deposit_request_id: string; player_id: string; amount: bigint; balance_after: bigint; low: bigint }[]>`
      SELECT episode.deposit_request_id, episode.player_id, episode.amount, episode.balance_after, first_low.balance AS low
      FROM (
        SELECT DISTINCT candidate.deposit_request_id FROM promotion.deposit_low candidate
        WHERE candidate.brand_id = ${program.brandId}::uuid AND candidate.day >= ${start}::date AND candidate.day < ${end}::date
          AND candidate.balance < ${program.lossThreshold}
      ) candidates
      JOIN promotion.deposit_episode episode ON episode.deposit_request_id = candidates.deposit_request_id
      JOIN LATERAL (
        SELECT low.balance, low.day FROM promotion.deposit_low low
        WHERE low.deposit_request_id = episode.deposit_request_id AND low.balance < ${program.lossThreshold}
        ORDER BY low.at, low.id LIMIT 1
      ) first_low ON true
      WHERE first_low.day >= ${start}::date AND first_low.day < ${end}::date
        AND NOT EXISTS (
          SELECT 1 FROM promotion.lossback_settled_deposit settled
          WHERE settled.program_id = ${program.id}::uuid AND settled.deposit_request_id = episode.deposit_request_id)`;
    for (const row of rows) {
      deposits.push(row.deposit_request_id);
      const lost = lostOf(row.amount, row.balance_after, row.low);
      const line = earned.get(row.player_id) ?? { basis: 0n, computed: 0n };
      earned.set(row.player_id, { basis: line.basis + lost, computed: line.computed + applyBps(lost, program.rateBps ?? 0) });
    }
  }
  return { earned, deposits };
}

/**
 * What the period pays each player, in player id order: the minimum and the player cap per
 * player, then the budget left, spent in that order (a player it no longer covers is paid what is
 * left when that is at least the minimum, then nothing: BUDGET).
 */
export async function planSettlement(db: Prisma.TransactionClient | PrismaClient, program: PromotionProgram, period: Period): Promise<{ lines: SettlementLine[]; deposits: string[] }> {
  const { earned, deposits } = await earnings(db, program, period);
  let budgetLeft = program.budget === null ? null : program.budget - program.spent;
  const lines: SettlementLine[] = [];
  for (const playerId of [...earned.keys()].sort()) {
    const { basis, computed } = earned.get(playerId)!;
    const limited = afterLimits(computed, program);
    if (!limited) continue;
    const { amount, cappedBy } = withinBudget(limited, budgetLeft, program.minPayout);
    if (budgetLeft !== null) budgetLeft -= amount;
    lines.push({ playerId, basis, computed, amount, cappedBy });
  }
  return { lines, deposits };
}

/** The period of the program that starts on `start`, which must have begun by `today` (the brand's local date); BAD_USER_INPUT otherwise. */
export function periodStartingOn(program: PromotionProgram, start: string, today: string): Period {
  if (!isDay(start)) throw badUserInput('periodStart must be a day, YYYY-MM-DD');
  const period = periodOf(program.period, start);
  if (period.start !== start) throw badUserInput(`a ${program.period.toLowerCase()} period starts on ${period.start}, not ${start}`);
  if (start > today) throw badUserInput(`the period starting on ${start} has not begun`);
  return period;
}

/**
 * The period of the program starting on `start` that staff may settle: ended by `today` and from
 * the program's settleFrom (earlier, it did not exist or was disabled); BAD_USER_INPUT otherwise.
 */
function settleablePeriod(program: PromotionProgram, start: string, today: string): Period {
  const period = periodStartingOn(program, start, today);
  const from = dayText(program.settleFrom);
  if (period.end > today) throw badUserInput(`the period starting on ${start} has not ended: it can be settled from ${period.end}`);
  if (period.start < from) throw badUserInput(`the program settles periods from ${from}: the period starting on ${start} is before it`);
  return period;
}

/** The run of the (locked) program's period, computed now unless it exists: the same run whoever asks, however often. */
export async function computeRun(tx: Prisma.TransactionClient, program: PromotionProgram, period: Period, requestedBy: string | null): Promise<{ run: SettlementRun; computed: boolean }> {
  const existing = await tx.settlementRun.findUnique({ where: { programId_periodStart: { programId: program.id, periodStart: toDate(period.start) } } });
  if (existing) return { run: existing, computed: false };
  const { lines, deposits } = await planSettlement(tx, program, period);
  const total = lines.reduce((sum, line) => sum + line.amount, 0n);
  const run = await tx.settlementRun.create({
    data: { brandId: program.brandId, programId: program.id, periodStart: toDate(period.start), periodEnd: toDate(period.end), requestedBy, total },
  });
  await tx.settlementItem.createMany({
    data: lines.map((line) => ({
      ...line,
      brandId: program.brandId,
      runId: run.id,
      programId: program.id,
      currency: program.currency,
      rollingMultiplierBps: program.rollingMultiplierBps,
      status: line.amount === 0n ? ('SKIPPED' as const) : ('PENDING' as const),
    })),
  });
  // A lossback settles each deposit once: a later run (another threshold) does not count it again.
  await tx.lossbackSettledDeposit.createMany({ data: deposits.map((depositRequestId) => ({ programId: program.id, depositRequestId, runId: run.id })) });
  if (total > 0n) await tx.promotionProgram.update({ where: { id: program.id }, data: { spent: { increment: total } } });
  return { run, computed: true };
}

/** A scheduled settlement: computeRun under the program's lock, as long as a period of many players takes. */
const SETTLE_TX = { maxWait: 10_000, timeout: 30_000 } as const;

/**
 * How far past a period's end the figures must be applied before it is settled: the wallet's
 * events reach the stream in the order of their commits, which may differ a little from their
 * occurred_at.
 */
export const SETTLEMENT_GRACE_MS = 10 * 60_000;

export interface ScheduleOptions {
  log: Logger;
  /** Counts each program whose periods could not be settled in a turn. */
  onProgramFailed(program: PromotionProgram): void;
}

/**
 * The schedule: every period of every active program that ended SETTLEMENT_GRACE_MS before
 * `appliedThrough` (how far the figures are complete, see activityAppliedThrough) and has no run
 * yet, computed. A program that fails is logged and counted and the others go on; how many runs
 * were made and how many programs failed.
 */
export async function settleEndedPeriods(
  prisma: PrismaClient,
  timezoneOf: (brandId: string) => Promise<string> | string,
  appliedThrough: Date,
  { log, onProgramFailed }: ScheduleOptions,
): Promise<{ made: number; failed: number }> {
  const programs = await prisma.promotionProgram.findMany({ where: { status: 'ACTIVE' }, orderBy: { createdAt: 'asc' } });
  const complete = new Date(appliedThrough.getTime() - SETTLEMENT_GRACE_MS);
  let [made, failed] = [0, 0];
  for (const program of programs) {
    try {
      made += await settleProgram(prisma, program, localDay(complete, await timezoneOf(program.brandId)));
    } catch (error) {
      failed += 1;
      onProgramFailed(program);
      log.error({ err: error, programId: program.id, brandId: program.brandId }, 'program periods not settled; the other programs go on');
    }
  }
  return { made, failed };
}

/** The program's periods ended by `completeDay` (its brand's local date) that have no run yet, computed; how many. */
async function settleProgram(prisma: PrismaClient, program: PromotionProgram, completeDay: string): Promise<number> {
  const settled = new Set((await prisma.settlementRun.findMany({ where: { programId: program.id }, select: { periodStart: true } })).map((run) => dayText(run.periodStart)));
  let made = 0;
  for (const period of endedPeriods(program.period, dayText(program.settleFrom), completeDay)) {
    if (settled.has(period.start)) continue;
    const computed = await prisma.$transaction(async (tx) => {
      // Disabled since it was read: no further period.
      const locked = await lockProgram(tx, program.brandId, program.id);
      return locked.status === 'ACTIVE' && (await computeRun(tx, locked, period, null)).computed;
    }, SETTLE_TX);
    if (computed) made += 1;
  }
  return made;
}

/**
 * The schedule's turn: the periods ended behind how far the figures are complete (never ahead of
 * now); none while the activity consumer has not caught up with the wallet stream. Throws after
 * the turn when a program failed, so the job (and the worker's health) report it.
 */
export async function settleAppliedPeriods(prisma: PrismaClient, redis: Redis, timezoneOf: (brandId: string) => Promise<string> | string, options: ScheduleOptions): Promise<number> {
  const appliedThrough = await activityAppliedThrough(prisma, redis);
  if (!appliedThrough) {
    options.log.info('program periods wait: the activity consumer has not caught up with the wallet stream');
    return 0;
  }
  const { made, failed } = await settleEndedPeriods(prisma, timezoneOf, new Date(Math.min(appliedThrough.getTime(), Date.now())), options);
  if (made > 0) options.log.info({ runs: made }, 'program periods settled');
  if (failed > 0) throw new Error(`${failed} program(s) could not be settled (the others were): see the log`);
  return made;
}

/** Steps 2 and 3 of a PENDING item (again, with the same keys, if they ran before); the item PAID. */
export async function payItem(prisma: PrismaClient, payer: BonusPayer, brand: BrandRef, item: SettlementItem, context: CallContext = {}): Promise<void> {
  await payBonus(
    payer,
    brand,
    { ...item, key: `settlement:${item.id}`, reference: `settlement ${item.runId}` },
    (rollingId) => prisma.settlementItem.update({ where: { id: item.id }, data: { rollingId } }),
    context,
  );
  await prisma.settlementItem.updateMany({ where: { id: item.id, status: 'PENDING' }, data: { status: 'PAID', paidAt: new Date(), lastPayError: null } });
}

const ITEMS: PayoutTable = { table: 'settlement_item', statusType: 'SettlementItemStatus' };

/** Settlement items as the worker pays them (payDue). */
export const settlementItemQueue = (prisma: PrismaClient, payer: BonusPayer): PayoutQueue<SettlementItem> => ({
  noun: 'settlement item',
  async due(take) {
    const ids = await claimDue(prisma, ITEMS, take);
    return prisma.settlementItem.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
  },
  pay: (item, brand) => payItem(prisma, payer, brand, item),
  recordFailure: (item, error) => recordFailedAttempt(prisma, payer, ITEMS, item.id, error),
  async failed() {
    const one = await prisma.settlementItem.findFirst({ where: { status: 'FAILED' }, select: { lastPayError: true } });
    return one && { count: await prisma.settlementItem.count({ where: { status: 'FAILED' } }), lastError: one.lastPayError ?? 'unknown' };
  },
});

/** The brand's settlement item of this id, locked; NOT_FOUND otherwise. */
export async function lockItem(tx: Prisma.TransactionClient, brandId: string, id: string): Promise<SettlementItem> {
  if (!isUuid(id)) throw notFound(`no settlement item ${id}`);
  const [item] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM promotion.settlement_item WHERE id = ${id}::uuid AND brand_id = ${brandId}::uuid FOR UPDATE`;
  if (!item) throw notFound(`no settlement item ${id}`);
  return tx.settlementItem.findUniqueOrThrow({ where: { id } });
}

/** Staff settle a program's ended period now (audited the first time it is computed; asking again answers the same run). */
export function settleOnDemand(prisma: PrismaClient, brand: BrandRef, today: string, programId: string, periodStart: string, actor: StaffActor): Promise<SettlementRun> {
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const program = await lockProgram(tx, brand.id, programId);
    if (program.status !== 'ACTIVE') throw conflict(`promotion program ${programId} is ${program.status}: enable it to settle a period`);
    const period = settleablePeriod(program, periodStart, today);
    const { run, computed } = await computeRun(tx, program, period, actor.staffId);
    return {
      result: run,
      action: {
        action: computed ? 'settlement_run.compute' : 'settlement_run.request_again',
        target_type: 'settlement_run',
        target_id: run.id,
        before: null,
        after: { program_id: program.id, period_start: period.start, period_end: period.end, total: formatMoney(run.total, program.currency) },
      },
    };
  });
}

/** What the program's period would pay if settled now: nothing written. */
export async function previewPeriod(prisma: PrismaClient, brand: BrandRef, today: string, programId: string, periodStart: string) {
  const program = isUuid(programId) ? await prisma.promotionProgram.findFirst({ where: { id: programId, brandId: brand.id } }) : null;
  if (!program) throw notFound(`no promotion program ${programId}`);
  const period = periodStartingOn(program, periodStart, today);
  const settled = (await prisma.settlementRun.count({ where: { programId, periodStart: toDate(period.start) } })) > 0;
  const { lines } = await planSettlement(prisma, program, period);
  return { periodStart: period.start, periodEnd: period.end, settled, currency: program.currency, lines: lines.map((line) => ({ ...line, currency: program.currency })) };
}

/** A page of a preview's lines, in player id order (planSettlement's): a cursor is the last line's player id. */
export function previewLinesPage(lines: LineView[], { first, after }: { first?: number | null; after?: string | null }): LinePage {
  const take = pageSize(first);
  const lastSeen = after ? Buffer.from(after, 'base64url').toString() : null;
  if (lastSeen !== null && !isUuid(lastSeen)) throw badUserInput('invalid cursor');
  const rest = lastSeen === null ? lines : lines.filter((line) => line.playerId > lastSeen);
  const edges = rest.slice(0, take).map((node) => ({ cursor: Buffer.from(node.playerId).toString('base64url'), node }));
  return { edges, pageInfo: { hasNextPage: rest.length > take, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: lines.length };
}

/** Staff put a FAILED item back to PENDING with fresh attempts, for the worker to pay (after fixing the cause); CONFLICT when it is not FAILED. */
export function retryFailedItem(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<SettlementItem> {
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const item = await lockItem(tx, brand.id, id);
    if (item.status !== 'FAILED') throw conflict(`settlement item ${id} is ${item.status}, not FAILED`);
    const retried = await tx.settlementItem.update({ where: { id }, data: { status: 'PENDING', payAttempts: 0, nextPayAt: new Date() } });
    return {
      result: retried,
      action: { action: 'settlement_item.retry', target_type: 'settlement_item', target_id: id, before: { status: 'FAILED', last_error: item.lastPayError }, after: { status: 'PENDING' } },
    };
  });
}

/** Staff give up a FAILED item (see cancelRequirementOfFailed): CANCELED with the reason, its requirement canceled. */
export function cancelFailedItem(
  prisma: PrismaClient,
  payer: BonusPayer,
  brand: BrandRef,
  id: string,
  reason: string,
  actor: StaffActor,
  context: CallContext = {},
): Promise<SettlementItem> {
  const why = cancelReasonOf(reason);
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const item = await lockItem(tx, brand.id, id);
    await cancelRequirementOfFailed(payer, brand, 'settlement item', item, why, context);
    const canceled = await tx.settlementItem.update({ where: { id }, data: { status: 'CANCELED', cancelReason: why } });
    return {
      result: canceled,
      action: {
        action: 'settlement_item.cancel',
        target_type: 'settlement_item',
        target_id: id,
        before: { status: 'FAILED', last_error: item.lastPayError },
        after: { status: 'CANCELED', reason: why },
      },
    };
  });
}
