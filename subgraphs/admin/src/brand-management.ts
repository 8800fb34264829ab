import {
  badUserInput,
  type BrandConfigContract,
  conflict,
  forbidden,
  formatMoney,
  isSupportedCurrency,
  MAX_MINOR,
  notFound,
  parseMoneyInput,
  type StaffAccess,
} from '@rgb/contracts';
import { type BrandConfig, type BrandDepositAccount, type Prisma, type PrismaClient, uniqueViolation } from '@rgb/db';
import { type StaffCaller, isUuid } from '@rgb/kit';
import { recordAudit } from './audit';
import { CONFIG_ACTIONS, findRevision, revertInput } from './brand-config-history';
import { actingStaff, assertBrandInScope, authorize, readingStaff } from './authorization';
import type { BrandRecord } from './brands';
import type { Context } from './context';
import type { CreateBrandInput, UpdateBrandConfigInput, UpdateBrandInput } from './generated/resolvers-types';
import { staleThresholdsUpdate } from './stale-requests';
import { actorOf } from './staff-accounts';

export type BrandConfigRecord = BrandConfig & { brand: { currency: string; depositAccounts: BrandDepositAccount[] } };

const BRAND_INCLUDE = { domains: true } as const satisfies Prisma.BrandInclude;
const CONFIG_INCLUDE = { brand: { select: { currency: true, depositAccounts: { orderBy: { createdAt: 'asc' } } } } } as const satisfies Prisma.BrandConfigInclude;

const CODE = /^[a-z0-9]{1,32}$/;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const MAX_ROLLING_BPS = 100_000;
const MAX_CONTRIBUTION_BPS = 10_000;
/** Ten years: the longest a wagering requirement may last by default. */
const MAX_ROLLING_EXPIRY_DAYS = 3650;

/**
 * The config a new brand starts with: no rolling requirement, every category counting in full,
 * and limits that refuse nothing (one minor unit to the largest amount the platform moves).
 */
const defaultConfig = { depositRollingMultiplierBps: 0, minDepositMinor: 1n, maxDepositMinor: MAX_MINOR, minWithdrawalMinor: 1n, maxWithdrawalMinor: MAX_MINOR };

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 64) throw badUserInput('name must be 1 to 64 characters');
  return trimmed;
}

/** A zone name Intl knows (links like `US/Eastern` too); the pattern keeps out the offsets (`+01:00`) Intl also takes. */
function isIanaZone(timezone: string): boolean {
  if (!/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(timezone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function checkTimezone(timezone: string): string {
  if (!isIanaZone(timezone)) throw badUserInput(`timezone ${JSON.stringify(timezone)} is not an IANA time zone`);
  return timezone;
}

function checkHost(host: string): string {
  if (!HOST.test(host)) throw badUserInput(`${JSON.stringify(host)} is not a lower-case host name without port`);
  return host;
}

function checkBasisPoints(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badUserInput(`${name} must be basis points from 0 to ${max}`);
  return value;
}

function checkRollingExpiryDays(days: number): number {
  if (!Number.isInteger(days) || days < 0 || days > MAX_ROLLING_EXPIRY_DAYS) throw badUserInput(`rollingExpiryDays must be 0 to ${MAX_ROLLING_EXPIRY_DAYS} days`);
  return days;
}

function parseLimit(value: string, currency: string, name: string): bigint {
  return parseMoneyInput(value, currency, { name });
}

function checkRange(min: bigint, max: bigint, what: string): void {
  if (min > max) throw badUserInput(`the minimum ${what} exceeds the maximum`);
}

/** What the audit log keeps of a brand. */
const brandSnapshot = (brand: BrandRecord) => ({
  code: brand.code,
  name: brand.name,
  currency: brand.currency,
  timezone: brand.timezone,
  status: brand.status,
  domains: brand.domains.map(({ host }) => host).sort(),
});

/** The config as other services read it (money in minor units); the audit log keeps the same. */
export const configContract = (config: BrandConfigRecord): BrandConfigContract => ({
  brand_id: config.brandId,
  currency: config.brand.currency,
  deposit_rolling_multiplier_bps: config.depositRollingMultiplierBps,
  category_contributions: {
    SLOTS: config.slotsContributionBps,
    LIVE_CASINO: config.liveCasinoContributionBps,
    TABLE: config.tableContributionBps,
    OTHER: config.otherContributionBps,
  },
  deposit_accounts: config.brand.depositAccounts.map((account) => ({
    id: account.id,
    bank_name: account.bankName,
    account_number: account.accountNumber,
    holder: account.holder,
    active: account.active,
  })),
  limits: {
    min_deposit: config.minDepositMinor.toString(),
    max_deposit: config.maxDepositMinor.toString(),
    min_withdrawal: config.minWithdrawalMinor.toString(),
    max_withdrawal: config.maxWithdrawalMinor.toString(),
  },
  stale_pending_after_minutes: { deposit: config.staleDepositAfterMinutes, withdrawal: config.staleWithdrawalAfterMinutes },
  rolling_expiry_days: config.rollingExpiryDays,
});

/** The config of a brand; null for an id that names none. */
export async function readBrandConfig(db: PrismaClient | Prisma.TransactionClient, brandId: string): Promise<BrandConfigRecord | null> {
  if (!isUuid(brandId)) return null;
  return db.brandConfig.findUnique({ where: { brandId }, include: CONFIG_INCLUDE });
}

/** `Brand.config`: staff with `brands.read` and the brand in scope. */
export async function brandConfigForStaff(context: Context, brandId: string): Promise<BrandConfigRecord> {
  assertBrandInScope(await readingStaff(context, 'brands.read'), brandId);
  return (await readBrandConfig(context.prisma, brandId)) ?? Promise.reject(notFound(`brand ${brandId} has no config`));
}

export const limitsOf = (config: BrandConfigRecord) => ({
  minDeposit: formatMoney(config.minDepositMinor, config.brand.currency),
  maxDeposit: formatMoney(config.maxDepositMinor, config.brand.currency),
  minWithdrawal: formatMoney(config.minWithdrawalMinor, config.brand.currency),
  maxWithdrawal: formatMoney(config.maxWithdrawalMinor, config.brand.currency),
});

/** The brand, its row locked until the change commits, so "before" is what this change replaced. */
async function lockedBrand(tx: Prisma.TransactionClient, id: string): Promise<BrandRecord> {
  if (!isUuid(id)) throw notFound(`no brand ${id}`);
  await tx.$queryRaw`SELECT 1 FROM admin.brand WHERE id = ${id}::uuid FOR UPDATE`;
  const brand = await tx.brand.findUnique({ where: { id }, include: BRAND_INCLUDE });
  if (!brand) throw notFound(`no brand ${id}`);
  return brand;
}

interface BrandChange<T> {
  brandId: string;
  action: string;
  before: Prisma.InputJsonValue | null;
  after: Prisma.InputJsonValue;
  reason?: string | null;
  result: T;
}

/** Who may change brands is asked before the input is looked at: a caller without the permission learns nothing from it. */
const authorizeChange = (context: Context): StaffCaller => authorize(context.caller, 'brands.manage');

/**
 * Runs a change of brands in one transaction with its audit row, the acting staff member's row
 * share-locked; a host or code another brand holds is CONFLICT. After the commit, the catalogues
 * are told.
 */
async function brandChange<T>(
  context: Context,
  caller: StaffCaller,
  conflictMessage: string,
  change: (tx: Prisma.TransactionClient, actor: StaffAccess) => Promise<BrandChange<T>>,
): Promise<T> {
  let changed: BrandChange<T>;
  try {
    changed = await context.prisma.$transaction(async (tx) => {
      const done = await change(tx, await actingStaff(tx, caller, { forChange: true }));
      await recordAudit(tx, actorOf(context, caller), {
        action: done.action,
        targetType: 'brand',
        targetId: done.brandId,
        before: done.before,
        after: done.after,
        reason: done.reason,
      });
      return done;
    });
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(conflictMessage);
    throw error;
  }
  await context.services.brandsChanged(changed.brandId);
  return changed.result;
}

export function createBrand(context: Context, input: CreateBrandInput): Promise<BrandRecord> {
  const caller = authorizeChange(context);
  if (!CODE.test(input.code)) throw badUserInput('code must be 1 to 32 lower-case letters and digits');
  if (!isSupportedCurrency(input.currency)) throw badUserInput(`currency ${JSON.stringify(input.currency)} is not supported`);
  const name = checkName(input.name);
  const timezone = checkTimezone(input.timezone);
  if (input.domains.length === 0) throw badUserInput('a brand needs at least one domain');
  const domains = [...new Set(input.domains.map(checkHost))];
  return brandChange(context, caller, 'the code or a domain belongs to another brand', async (tx, actor) => {
    if (!actor.all_brands) throw forbidden('only staff with every brand may create a brand');
    const brand = await tx.brand.create({
      data: {
        code: input.code,
        name,
        currency: input.currency,
        timezone,
        domains: { create: domains.map((host) => ({ host })) },
        config: { create: defaultConfig },
      },
      include: BRAND_INCLUDE,
    });
    return { brandId: brand.id, action: 'brand.create', before: null, after: brandSnapshot(brand), result: brand };
  });
}

export function updateBrand(context: Context, id: string, input: UpdateBrandInput): Promise<BrandRecord> {
  const caller = authorizeChange(context);
  const name = input.name != null ? checkName(input.name) : undefined;
  const timezone = input.timezone != null ? checkTimezone(input.timezone) : undefined;
  return brandChange(context, caller, 'conflicting brand change', async (tx, actor) => {
    assertBrandInScope(actor, id);
    const before = await lockedBrand(tx, id);
    const after = await tx.brand.update({
      where: { id },
      data: { ...(name !== undefined ? { name } : {}), ...(timezone !== undefined ? { timezone } : {}), ...(input.status ? { status: input.status } : {}) },
      include: BRAND_INCLUDE,
    });
    return { brandId: id, action: 'brand.update', before: brandSnapshot(before), after: brandSnapshot(after), result: after };
  });
}

export function addBrandDomain(context: Context, brandId: string, host: string): Promise<BrandRecord> {
  const caller = authorizeChange(context);
  checkHost(host);
  return brandChange(context, caller, `${host} is a domain of a brand already`, async (tx, actor) => {
    assertBrandInScope(actor, brandId);
    const before = await lockedBrand(tx, brandId);
    await tx.brandDomain.create({ data: { brandId, host } });
    const after = await lockedBrand(tx, brandId);
    return { brandId, action: 'brand.domain.add', before: brandSnapshot(before), after: brandSnapshot(after), result: after };
  });
}

export function removeBrandDomain(context: Context, brandId: string, host: string): Promise<BrandRecord> {
  const caller = authorizeChange(context);
  return brandChange(context, caller, 'conflicting brand change', async (tx, actor) => {
    assertBrandInScope(actor, brandId);
    const before = await lockedBrand(tx, brandId);
    if (!before.domains.some((domain) => domain.host === host)) throw notFound(`${host} is not a domain of this brand`);
    if (before.domains.length === 1) throw conflict('a brand keeps at least one domain: add another before removing this one');
    await tx.brandDomain.delete({ where: { host } });
    const after = await lockedBrand(tx, brandId);
    return { brandId, action: 'brand.domain.remove', before: brandSnapshot(before), after: brandSnapshot(after), result: after };
  });
}

/** A change of config checked against the ranges and the brand's currency, in the columns' units. */
interface ConfigChange {
  data: Prisma.BrandConfigUpdateInput;
  accounts: { id?: string; bankName: string; accountNumber: string; holder: string; active: boolean }[];
}

/** The fields given of `input`, checked (BAD_USER_INPUT naming the field); the limits are in `currency`. */
function configChangeOf(input: UpdateBrandConfigInput, currency: string): ConfigChange {
  const rolling = input.depositRollingMultiplierBps != null ? checkBasisPoints(input.depositRollingMultiplierBps, MAX_ROLLING_BPS, 'depositRollingMultiplierBps') : undefined;
  const rollingExpiryDays = input.rollingExpiryDays != null ? checkRollingExpiryDays(input.rollingExpiryDays) : undefined;
  const contributions = input.categoryContributions;
  if (contributions) {
    for (const [name, value] of Object.entries(contributions)) checkBasisPoints(value, MAX_CONTRIBUTION_BPS, `categoryContributions.${name}`);
  }
  const accounts = (input.depositAccounts ?? []).map((account) => {
    if (account.id != null && !isUuid(account.id)) throw badUserInput(`deposit account ${JSON.stringify(account.id)} is not an id`);
    const fields = { bankName: account.bankName.trim(), accountNumber: account.accountNumber.trim(), holder: account.holder.trim() };
    for (const [name, value] of Object.entries(fields)) {
      if (value.length < 1 || value.length > 128) throw badUserInput(`depositAccounts.${name} must be 1 to 128 characters`);
    }
    return { id: account.id ?? undefined, ...fields, active: account.active };
  });
  const limits = input.limits && {
    minDepositMinor: parseLimit(input.limits.minDeposit, currency, 'limits.minDeposit'),
    maxDepositMinor: parseLimit(input.limits.maxDeposit, currency, 'limits.maxDeposit'),
    minWithdrawalMinor: parseLimit(input.limits.minWithdrawal, currency, 'limits.minWithdrawal'),
    maxWithdrawalMinor: parseLimit(input.limits.maxWithdrawal, currency, 'limits.maxWithdrawal'),
  };
  if (limits) {
    checkRange(limits.minDepositMinor, limits.maxDepositMinor, 'deposit');
    checkRange(limits.minWithdrawalMinor, limits.maxWithdrawalMinor, 'withdrawal');
  }
  const data: Prisma.BrandConfigUpdateInput = {
    depositRollingMultiplierBps: rolling,
    rollingExpiryDays,
    ...(contributions
      ? {
          slotsContributionBps: contributions.slotsBps,
          liveCasinoContributionBps: contributions.liveCasinoBps,
          tableContributionBps: contributions.tableBps,
          otherContributionBps: contributions.otherBps,
        }
      : {}),
    ...limits,
    ...staleThresholdsUpdate(input.stalePendingAfter),
  };
  return { data, accounts };
}

async function applyConfigChange(tx: Prisma.TransactionClient, brandId: string, { data, accounts }: ConfigChange): Promise<void> {
  await tx.brandConfig.update({ where: { brandId }, data });
  for (const { id, ...fields } of accounts) {
    if (id === undefined) {
      await tx.brandDepositAccount.create({ data: { brandId, ...fields } });
    } else {
      const { count } = await tx.brandDepositAccount.updateMany({ where: { id, brandId }, data: fields });
      if (count === 0) throw notFound(`no deposit account ${id} on this brand`);
    }
  }
}

const REASON_MAX = 500;

function checkReason(reason: string | null | undefined): string | null {
  if (reason == null) return null;
  const why = reason.trim();
  if (why.length < 1 || why.length > REASON_MAX) throw badUserInput(`reason must be 1 to ${REASON_MAX} characters`);
  return why;
}

/**
 * Changes the brand's config by the input `inputOf` gives for the config as it is (its row locked),
 * audited as `action` with the whole config before and after: a revision of its history.
 */
function changeConfig(
  context: Context,
  brandId: string,
  action: string,
  reason: string | null | undefined,
  inputOf: (tx: Prisma.TransactionClient, current: BrandConfigContract) => UpdateBrandConfigInput | Promise<UpdateBrandConfigInput>,
): Promise<BrandRecord> {
  const caller = authorizeChange(context);
  const why = checkReason(reason);
  return brandChange(context, caller, 'conflicting brand change', async (tx, actor) => {
    assertBrandInScope(actor, brandId);
    const brand = await lockedBrand(tx, brandId);
    const before = await readBrandConfig(tx, brandId);
    if (!before) throw notFound(`brand ${brandId} has no config`);
    await applyConfigChange(tx, brandId, configChangeOf(await inputOf(tx, configContract(before)), brand.currency));
    const after = await readBrandConfig(tx, brandId);
    return { brandId, action, before: configContract(before), after: configContract(after!), reason: why, result: brand };
  });
}

export function updateBrandConfig(context: Context, brandId: string, input: UpdateBrandConfigInput, reason?: string | null): Promise<BrandRecord> {
  return changeConfig(context, brandId, CONFIG_ACTIONS.UPDATE, reason, () => input);
}

/** Puts back what a revision of the brand's config changed, as it was before it (see revertInput). */
export function revertBrandConfig(context: Context, brandId: string, revisionId: string, reason?: string | null): Promise<BrandRecord> {
  return changeConfig(context, brandId, CONFIG_ACTIONS.REVERT, reason, async (tx, current) => revertInput(await findRevision(tx, brandId, revisionId), current));
}
