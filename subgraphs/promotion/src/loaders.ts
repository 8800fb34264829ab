import type { CouponRedemption, PrismaClient, PromotionProgram, SettlementItem, SettlementRun } from '@rgb/db';
import { type BrandRef, isUuid, NEWEST_FIRST } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface PromotionLoaders {
  /** A player's coupon redemptions of the request's brand, newest first. */
  couponsByPlayerId: DataLoader<string, CouponRedemption[]>;
  /** A player's settlement items of the request's brand (SKIPPED ones left out), newest first. */
  payoutsByPlayerId: DataLoader<string, SettlementItem[]>;
  /** The request's brand's programs by id. */
  programById: DataLoader<string, PromotionProgram | null>;
  /** The request's brand's settlement runs by id. */
  runById: DataLoader<string, SettlementRun | null>;
}

/** Rows of the given ids, in the order asked, null for an id not found. */
const inOrder = <Row extends { id: string }>(ids: readonly string[], rows: Row[]): (Row | null)[] => ids.map((id) => rows.find((row) => row.id === id) ?? null);

/** Rows grouped by player, in the order `playerIds` asks for them. */
function byPlayer<Row extends { playerId: string }>(playerIds: readonly string[], rows: Row[]): Row[][] {
  const grouped = new Map<string, Row[]>();
  for (const row of rows) grouped.set(row.playerId, [...(grouped.get(row.playerId) ?? []), row]);
  return playerIds.map((id) => grouped.get(id) ?? []);
}

export function createLoaders(prisma: PrismaClient, brand: BrandRef): PromotionLoaders {
  return {
    couponsByPlayerId: new DataLoader(async (playerIds) =>
      byPlayer(playerIds, await prisma.couponRedemption.findMany({ where: { brandId: brand.id, playerId: { in: playerIds.filter(isUuid) } }, orderBy: NEWEST_FIRST })),
    ),
    payoutsByPlayerId: new DataLoader(async (playerIds) =>
      byPlayer(
        playerIds,
        await prisma.settlementItem.findMany({ where: { brandId: brand.id, playerId: { in: playerIds.filter(isUuid) }, status: { not: 'SKIPPED' } }, orderBy: NEWEST_FIRST }),
      ),
    ),
    programById: new DataLoader(async (ids) => inOrder(ids, await prisma.promotionProgram.findMany({ where: { brandId: brand.id, id: { in: ids.filter(isUuid) } } }))),
    runById: new DataLoader(async (ids) => inOrder(ids, await prisma.settlementRun.findMany({ where: { brandId: brand.id, id: { in: ids.filter(isUuid) } } }))),
  };
}
