import { isDeepStrictEqual } from 'node:util';
import { badUserInput, brandConfigContract, type BrandConfigContract, conflict, formatMoney, notFound } from '@rgb/contracts';
import type { AuditLog, Prisma, PrismaClient } from '@rgb/db';
import { NEWEST_FIRST, paginate, type Connection, isUuid } from '@rgb/kit';
import { actingStaff, assertBrandInScope, authorize } from './authorization';
import type { Context } from './context';
import type { BrandConfigChange, BrandConfigSection, UpdateBrandConfigInput } from './generated/resolvers-types';

/**
 * A brand's config history is the audit log's rows of its config changes: each change already
 * writes one in its transaction (who, through which brand, request id, time, the whole config
 * before and after, the reason), so a table of revisions would hold the same again.
 */
export const CONFIG_ACTIONS = { UPDATE: 'brand.config.update', REVERT: 'brand.config.revert' } as const satisfies Record<BrandConfigChange, string>;

/** Each section of the config by its key in the config's contract, the form the audit rows keep. */
const SECTION_KEYS = {
  DEPOSIT_ROLLING_MULTIPLIER: 'deposit_rolling_multiplier_bps',
  CATEGORY_CONTRIBUTIONS: 'category_contributions',
  DEPOSIT_ACCOUNTS: 'deposit_accounts',
  LIMITS: 'limits',
  STALE_PENDING_AFTER: 'stale_pending_after_minutes',
  ROLLING_EXPIRY: 'rolling_expiry_days',
} as const satisfies Record<BrandConfigSection, keyof BrandConfigContract>;
const SECTIONS = Object.keys(SECTION_KEYS) as BrandConfigSection[];

export interface ConfigRevision {
  id: string;
  kind: BrandConfigChange;
  staffId: string;
  before: BrandConfigContract;
  after: BrandConfigContract;
  changedSections: BrandConfigSection[];
  reason: string | null;
  requestId: string | null;
  createdAt: Date;
}

const revisionsOf = (brandId: string): Prisma.AuditLogWhereInput => ({
  targetType: 'brand',
  targetId: brandId,
  action: { in: Object.values(CONFIG_ACTIONS) },
});

/**
 * A config as an audit row keeps it. Rows written before the config had stale-request
 * thresholds or a rolling expiry lack them: they read as the columns' defaults, which those
 * configs held.
 */
const auditedConfig = brandConfigContract.extend({
  stale_pending_after_minutes: brandConfigContract.shape.stale_pending_after_minutes.default({ deposit: 15, withdrawal: 30 }),
  rolling_expiry_days: brandConfigContract.shape.rolling_expiry_days.default(0),
});

function revisionOf(row: AuditLog): ConfigRevision {
  const before = auditedConfig.parse(row.before);
  const after = auditedConfig.parse(row.after);
  return {
    id: row.id,
    kind: row.action === CONFIG_ACTIONS.REVERT ? 'REVERT' : 'UPDATE',
    staffId: row.staffId,
    before,
    after,
    changedSections: SECTIONS.filter((section) => !isDeepStrictEqual(before[SECTION_KEYS[section]], after[SECTION_KEYS[section]])),
    reason: row.reason,
    requestId: row.requestId,
    createdAt: row.createdAt,
  };
}

/** The given sections of a config, keyed as in its contract: what a revision shows of it. */
export const sectionsOf = (config: BrandConfigContract, sections: BrandConfigSection[]) =>
  Object.fromEntries(sections.map((section) => [SECTION_KEYS[section], config[SECTION_KEYS[section]]]));

/** `Brand.configHistory`: staff with `brands.read` and the brand in scope; newest first. */
export async function configHistoryForStaff(
  context: Context,
  brandId: string,
  page: { first?: number | null; after?: string | null },
): Promise<Connection<ConfigRevision>> {
  const actor = await actingStaff(context.prisma, authorize(context.caller, 'brands.read'));
  assertBrandInScope(actor, brandId);
  const where = revisionsOf(brandId);
  const rows = await paginate(
    page,
    (position, take) => context.prisma.auditLog.findMany({ where: { AND: [where, position] }, orderBy: NEWEST_FIRST, take }),
    () => context.prisma.auditLog.count({ where }),
  );
  return { ...rows, edges: rows.edges.map(({ cursor, node }) => ({ cursor, node: revisionOf(node) })) };
}

export async function findRevision(db: PrismaClient | Prisma.TransactionClient, brandId: string, id: string): Promise<ConfigRevision> {
  const row = isUuid(id) ? await db.auditLog.findFirst({ where: { id, ...revisionsOf(brandId) } }) : null;
  if (!row) throw notFound(`no revision ${id} of this brand's config`);
  return revisionOf(row);
}

/**
 * The change that puts the sections `revision` changed back as they were before it. Refused
 * (CONFLICT) when `current` no longer holds what the revision left in one of them: reverting
 * would undo a later change unseen. An account the revision added is deactivated, as accounts
 * are never deleted.
 */
export function revertInput(revision: ConfigRevision, current: BrandConfigContract): UpdateBrandConfigInput {
  const { id, before, after, changedSections } = revision;
  if (changedSections.length === 0) throw badUserInput(`revision ${id} changed nothing`);
  const moved = changedSections.filter((section) => !isDeepStrictEqual(current[SECTION_KEYS[section]], after[SECTION_KEYS[section]]));
  if (moved.length > 0) throw conflict(`${moved.join(', ')} changed since revision ${id}: revert the later revisions first`);
  const input: UpdateBrandConfigInput = {};
  for (const section of changedSections) {
    if (section === 'DEPOSIT_ROLLING_MULTIPLIER') input.depositRollingMultiplierBps = before.deposit_rolling_multiplier_bps;
    if (section === 'CATEGORY_CONTRIBUTIONS') {
      const { SLOTS, LIVE_CASINO, TABLE, OTHER } = before.category_contributions;
      input.categoryContributions = { slotsBps: SLOTS, liveCasinoBps: LIVE_CASINO, tableBps: TABLE, otherBps: OTHER };
    }
    if (section === 'LIMITS') {
      const money = (minor: string) => formatMoney(BigInt(minor), before.currency);
      const { min_deposit, max_deposit, min_withdrawal, max_withdrawal } = before.limits;
      input.limits = { minDeposit: money(min_deposit), maxDeposit: money(max_deposit), minWithdrawal: money(min_withdrawal), maxWithdrawal: money(max_withdrawal) };
    }
    if (section === 'STALE_PENDING_AFTER') {
      const { deposit, withdrawal } = before.stale_pending_after_minutes;
      input.stalePendingAfter = { depositMinutes: deposit, withdrawalMinutes: withdrawal };
    }
    if (section === 'ROLLING_EXPIRY') input.rollingExpiryDays = before.rolling_expiry_days;
    if (section === 'DEPOSIT_ACCOUNTS') {
      const existed = new Set(before.deposit_accounts.map((account) => account.id));
      const added = after.deposit_accounts.filter((account) => !existed.has(account.id)).map((account) => ({ ...account, active: false }));
      input.depositAccounts = [...before.deposit_accounts, ...added].map(({ id: accountId, bank_name, account_number, holder, active }) => ({
        id: accountId,
        bankName: bank_name,
        accountNumber: account_number,
        holder,
        active,
      }));
    }
  }
  return input;
}
