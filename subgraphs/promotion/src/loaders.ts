import { type CouponCode, type CouponRedemption, Prisma, type PrismaClient, type PromotionProgram, type SettlementItem, type SettlementRun } from '@rgb/db';
import { type BrandRef, type Connection, connection, decodeCursor, isUuid, pageSize } from '@rgb/kit';
import DataLoader from 'dataloader';

/** A page of a parent's list: `first` and `after` as the field takes them, `status` for the lists filtered by it. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  status?: string | null;
}

/** A parent's list, one page of it per parent, however many parents a request resolves. */
export type PageLoader<Row> = (parentId: string, args: PageArgs) => Promise<Connection<Row>>;

export interface PromotionLoaders {
  /** A player's coupon redemptions of the request's brand, newest first. */
  couponsByPlayerId: PageLoader<CouponRedemption>;
  /** A player's settlement items of the request's brand (SKIPPED ones left out), newest first. */
  payoutsByPlayerId: PageLoader<SettlementItem>;
  /** The request's brand's programs by id. */
  programById: DataLoader<string, PromotionProgram | null>;
  /** The request's brand's settlement runs by id. */
  runById: DataLoader<string, SettlementRun | null>;
  /** A campaign's codes, newest first. */
  codesByCampaignId: PageLoader<CouponCode>;
  /** A campaign's redemptions, newest first. */
  redemptionsByCampaignId: PageLoader<CouponRedemption>;
  /** A program's settlement runs, newest first. */
  runsByProgramId: PageLoader<SettlementRun>;
  /** A run's items, newest first, of one status when asked. */
  itemsByRunId: PageLoader<SettlementItem>;
}

/** Rows of the given ids, in the order asked, null for an id not found. */
const inOrder = <Row extends { id: string }>(ids: readonly string[], rows: Row[]): (Row | null)[] => ids.map((id) => rows.find((row) => row.id === id) ?? null);

/** A list of rows that belong to a parent: its table and the column naming the parent (constants, never input), and the rows it keeps besides. */
interface ChildList {
  table: 'promotion.coupon_code' | 'promotion.coupon_redemption' | 'promotion.settlement_run' | 'promotion.settlement_item';
  parentColumn: 'campaign_id' | 'program_id' | 'run_id' | 'player_id';
  /** `AND ...` on the rows `t` (a player's rows of the request's brand); none when absent. */
  scope?: Prisma.Sql;
}

/** A raw row's columns by the Prisma model's field names (`brand_id` -> `brandId`); raw values have the model's types already. */
const modelRow = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()), value]));

/**
 * One page of each parent's list in one statement: for each parent, its total (with the status
 * asked) and the rows after the cursor, newest first, one more than the page (which tells whether
 * another follows), each read through the (parent, created_at) index.
 */
async function pagesOf<Row extends { id: string; createdAt: Date }>(
  prisma: PrismaClient,
  { table, parentColumn, scope = Prisma.empty }: ChildList,
  parentIds: readonly string[],
  { first, after, status }: PageArgs,
): Promise<Connection<Row>[]> {
  const take = pageSize(first);
  const cursor = after ? decodeCursor(after) : null;
  const of = Prisma.raw(table);
  const parent = Prisma.raw(`t.${parentColumn}`);
  const withStatus = Prisma.sql`${status ? Prisma.sql`AND t.status::text = ${status}` : Prisma.empty} ${scope}`;
  const afterCursor = cursor
    ? Prisma.sql`AND t.created_at <= ${cursor.createdAt} AND (t.created_at < ${cursor.createdAt} OR (t.created_at = ${cursor.createdAt} AND t.id < ${cursor.id}::uuid))`
    : Prisma.empty;
  const rows = await prisma.$queryRaw<({ parent_id: string; total_count: bigint } & Record<string, unknown>)[]>`
    SELECT parent.id::text AS parent_id, totals.total_count, page.*
    FROM unnest(${parentIds.filter(isUuid)}::uuid[]) AS parent(id)
    CROSS JOIN LATERAL (SELECT count(*) AS total_count FROM ${of} t WHERE ${parent} = parent.id ${withStatus}) totals
    LEFT JOIN LATERAL (
      SELECT t.* FROM ${of} t WHERE ${parent} = parent.id ${withStatus} ${afterCursor}
      ORDER BY t.created_at DESC, t.id DESC LIMIT ${take + 1}
    ) page ON true`;
  const pages = new Map<string, { total: number; rows: Row[] }>();
  for (const { parent_id: parentId, total_count: total, ...row } of rows) {
    const page = pages.get(parentId) ?? { total: Number(total), rows: [] };
    if (row.id !== null) page.rows.push(modelRow(row) as Row);
    pages.set(parentId, page);
  }
  return parentIds.map((id) => {
    const page = pages.get(id) ?? { total: 0, rows: [] };
    return connection(page.rows, take, page.total);
  });
}

/** A PageLoader of `list`: the parents asked for with the same page arguments in one request share one statement. */
function pageLoader<Row extends { id: string; createdAt: Date }>(prisma: PrismaClient, list: ChildList): PageLoader<Row> {
  const byArgs = new Map<string, DataLoader<string, Connection<Row>>>();
  return (parentId, args) => {
    const key = JSON.stringify([args.first ?? null, args.after ?? null, args.status ?? null]);
    let loader = byArgs.get(key);
    if (!loader) {
      loader = new DataLoader((parentIds) => pagesOf<Row>(prisma, list, parentIds, args));
      byArgs.set(key, loader);
    }
    return loader.load(parentId);
  };
}

export function createLoaders(prisma: PrismaClient, brand: BrandRef): PromotionLoaders {
  return {
    // A player is any brand's: their lists are the request's brand's rows, each read through the (brand, player, created_at) index.
    couponsByPlayerId: pageLoader(prisma, { table: 'promotion.coupon_redemption', parentColumn: 'player_id', scope: Prisma.sql`AND t.brand_id = ${brand.id}::uuid` }),
    payoutsByPlayerId: pageLoader(prisma, {
      table: 'promotion.settlement_item',
      parentColumn: 'player_id',
      scope: Prisma.sql`AND t.brand_id = ${brand.id}::uuid AND t.status <> 'SKIPPED'`,
    }),
    programById: new DataLoader(async (ids) => inOrder(ids, await prisma.promotionProgram.findMany({ where: { brandId: brand.id, id: { in: ids.filter(isUuid) } } }))),
    runById: new DataLoader(async (ids) => inOrder(ids, await prisma.settlementRun.findMany({ where: { brandId: brand.id, id: { in: ids.filter(isUuid) } } }))),
    // The parents are the brand's rows already (a campaign, program or run the request read).
    codesByCampaignId: pageLoader(prisma, { table: 'promotion.coupon_code', parentColumn: 'campaign_id' }),
    redemptionsByCampaignId: pageLoader(prisma, { table: 'promotion.coupon_redemption', parentColumn: 'campaign_id' }),
    runsByProgramId: pageLoader(prisma, { table: 'promotion.settlement_run', parentColumn: 'program_id' }),
    itemsByRunId: pageLoader(prisma, { table: 'promotion.settlement_item', parentColumn: 'run_id' }),
  };
}
