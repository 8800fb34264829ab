import { badUserInput, conflict, formatMoney, notFound, parseMoneyInput } from '@rgb/contracts';
import type { Prisma, PrismaClient, PromotionProgram } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, isUuid } from '@rgb/kit';
import { MAX_MULTIPLIER_BPS } from './campaigns';
import { type PeriodKind, periodOf } from './program-rules';
import { auditedChange } from './staff-actions';

/** Staff's side of programs: creating, changing, disabling and enabling them, each audited. */

export type ProgramKind = 'REBATE' | 'CASHBACK' | 'LOSSBACK';
/** The highest rate a program may have: 100 % of its basis. */
export const MAX_RATE_BPS = 10_000;

export interface ProgramSettingsInput {
  name?: string | null;
  rateBps?: number | null;
  categoryRates?: { category: string; bps: number }[] | null;
  lossThreshold?: string | null;
  minPayout?: string | null;
  playerCap?: string | null;
  budget?: string | null;
  rollingMultiplierBps?: number | null;
}

export interface CreateProgramInput extends ProgramSettingsInput {
  kind: ProgramKind;
  name: string;
  period?: PeriodKind | null;
  rollingMultiplierBps: number;
}

const isBps = (value: number, max: number) => Number.isInteger(value) && value >= 0 && value <= max;
const CATEGORY = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The settings a program of `kind` has once `input` is applied over `current`, checked: BAD_USER_INPUT names the first field that is wrong. */
function settingsOf(kind: ProgramKind, input: ProgramSettingsInput, brand: BrandRef, current?: PromotionProgram) {
  const money = (value: string | null | undefined, name: string, kept: bigint | null) =>
    value === undefined ? kept : value === null ? null : parseMoneyInput(value, brand.currency, { name, allowZero: true });
  const name = input.name === undefined || input.name === null ? (current?.name ?? '') : input.name.trim();
  if (name.length < 1 || name.length > 100) throw badUserInput('name must be 1 to 100 characters');
  const rollingMultiplierBps = input.rollingMultiplierBps ?? current?.rollingMultiplierBps ?? -1;
  if (!isBps(rollingMultiplierBps, MAX_MULTIPLIER_BPS)) throw badUserInput(`rollingMultiplierBps must be basis points from 0 to ${MAX_MULTIPLIER_BPS}`);
  const minPayout = money(input.minPayout, 'minPayout', current?.minPayout ?? 0n) ?? 0n;
  const playerCap = money(input.playerCap, 'playerCap', current?.playerCap ?? null);
  if (playerCap !== null && playerCap <= 0n) throw badUserInput('playerCap must be more than zero');
  if (playerCap !== null && playerCap < minPayout) throw badUserInput('playerCap must be at least minPayout');
  const budget = money(input.budget, 'budget', current?.budget ?? null);
  if (budget !== null && budget < (current?.spent ?? 0n)) throw badUserInput(`budget must be at least what has been spent (${formatMoney(current?.spent ?? 0n, brand.currency)})`);
  if (budget === 0n) throw badUserInput('budget must be more than zero');

  let rateBps: number | null = null;
  let categoryRatesBps: Record<string, number> | null = null;
  let lossThreshold: bigint | null = null;
  if (kind === 'REBATE') {
    const rates = input.categoryRates ?? (current?.categoryRatesBps ? Object.entries(current.categoryRatesBps as Record<string, number>).map(([category, bps]) => ({ category, bps })) : []);
    if (rates.length === 0) throw badUserInput('categoryRates must name at least one game category');
    categoryRatesBps = {};
    for (const { category, bps } of rates) {
      if (!CATEGORY.test(category)) throw badUserInput(`categoryRates: ${category} is not a game category (upper case, like SLOTS)`);
      if (!isBps(bps, MAX_RATE_BPS) || bps === 0) throw badUserInput(`categoryRates: ${category} must be 1 to ${MAX_RATE_BPS} basis points`);
      if (category in categoryRatesBps) throw badUserInput(`categoryRates: ${category} is given twice`);
      categoryRatesBps[category] = bps;
    }
  } else {
    rateBps = input.rateBps ?? current?.rateBps ?? null;
    if (rateBps === null || !isBps(rateBps, MAX_RATE_BPS) || rateBps === 0) throw badUserInput(`rateBps must be 1 to ${MAX_RATE_BPS} basis points`);
    if (kind === 'LOSSBACK') {
      lossThreshold = money(input.lossThreshold, 'lossThreshold', current?.lossThreshold ?? null);
      if (lossThreshold === null || lossThreshold <= 0n) throw badUserInput('lossThreshold is required for a lossback, more than zero');
    }
  }
  return { name, rollingMultiplierBps, minPayout, playerCap, budget, rateBps, categoryRatesBps, lossThreshold };
}

const settleFromDay = (program: PromotionProgram) => program.settleFrom.toISOString().slice(0, 10);

/** What the audit keeps of a program. */
const auditOf = (program: PromotionProgram) => ({
  kind: program.kind,
  name: program.name,
  period: program.period,
  rate_bps: program.rateBps,
  category_rates_bps: program.categoryRatesBps as Record<string, number> | null,
  loss_threshold: program.lossThreshold === null ? null : formatMoney(program.lossThreshold, program.currency),
  min_payout: formatMoney(program.minPayout, program.currency),
  player_cap: program.playerCap === null ? null : formatMoney(program.playerCap, program.currency),
  budget: program.budget === null ? null : formatMoney(program.budget, program.currency),
  rolling_multiplier_bps: program.rollingMultiplierBps,
  status: program.status,
});

/**
 * A program of the brand; its first period is the next one to start after `today` (the brand's
 * local date): tomorrow for a daily one, next Monday for a weekly one. Play before the program
 * existed is never paid.
 */
export function createProgram(prisma: PrismaClient, brand: BrandRef, today: string, input: CreateProgramInput, actor: StaffActor): Promise<PromotionProgram> {
  const period = input.period ?? 'DAILY';
  // A rebate is per day (its rates are of each day's stakes); a lossback pays on the day the balance fell.
  if (input.kind !== 'CASHBACK' && period !== 'DAILY') throw badUserInput(`a ${input.kind.toLowerCase()} is settled DAILY`);
  const settings = settingsOf(input.kind, input, brand);
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const program = await tx.promotionProgram.create({
      data: {
        ...settings,
        categoryRatesBps: settings.categoryRatesBps ?? undefined,
        brandId: brand.id,
        kind: input.kind,
        currency: brand.currency,
        period,
        settleFrom: new Date(`${periodOf(period, today).end}T00:00:00Z`),
        createdBy: actor.staffId,
      },
    });
    return { result: program, action: { action: 'promotion_program.create', target_type: 'promotion_program', target_id: program.id, before: null, after: auditOf(program) } };
  });
}

/** The brand's program of this id, locked for the change; NOT_FOUND otherwise. */
export async function lockProgram(tx: Prisma.TransactionClient, brandId: string, id: string): Promise<PromotionProgram> {
  if (!isUuid(id)) throw notFound(`no promotion program ${id}`);
  const [locked] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM promotion.program WHERE id = ${id}::uuid AND brand_id = ${brandId}::uuid FOR UPDATE`;
  if (!locked) throw notFound(`no promotion program ${id}`);
  return tx.promotionProgram.findUniqueOrThrow({ where: { id } });
}

/** New settings of a program (its kind and period stay): later settlements use them, earlier ones stand. */
export function updateProgram(prisma: PrismaClient, brand: BrandRef, id: string, input: ProgramSettingsInput, actor: StaffActor): Promise<PromotionProgram> {
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const program = await lockProgram(tx, brand.id, id);
    const settings = settingsOf(program.kind, input, brand, program);
    const updated = await tx.promotionProgram.update({ where: { id }, data: { ...settings, categoryRatesBps: settings.categoryRatesBps ?? undefined } });
    return { result: updated, action: { action: 'promotion_program.update', target_type: 'promotion_program', target_id: id, before: auditOf(program), after: auditOf(updated) } };
  });
}

/**
 * Disables (no further period is settled; runs computed already are still paid) or enables a
 * program, with a reason. Enabled, it settles from the current period (the one `today`, the
 * brand's local date, is in), or its first one if that is later: periods while it was disabled
 * are never settled.
 */
export function setProgramStatus(
  prisma: PrismaClient,
  brand: BrandRef,
  today: string,
  id: string,
  status: 'ACTIVE' | 'DISABLED',
  reason: string,
  actor: StaffActor,
): Promise<PromotionProgram> {
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw badUserInput('reason must be 1 to 500 characters');
  return auditedChange(prisma, brand.id, actor, async (tx) => {
    const program = await lockProgram(tx, brand.id, id);
    if (program.status === status) throw conflict(`promotion program ${id} is ${status} already`);
    const enabling = status === 'ACTIVE';
    const current = new Date(`${periodOf(program.period, today).start}T00:00:00Z`);
    const settleFrom = enabling && current > program.settleFrom ? current : program.settleFrom;
    const changed = await tx.promotionProgram.update({ where: { id }, data: { status, settleFrom } });
    return {
      result: changed,
      action: {
        action: `promotion_program.${enabling ? 'enable' : 'disable'}`,
        target_type: 'promotion_program',
        target_id: id,
        before: { status: program.status, settle_from: settleFromDay(program) },
        after: { status, reason: why, settle_from: settleFromDay(changed) },
      },
    };
  });
}
