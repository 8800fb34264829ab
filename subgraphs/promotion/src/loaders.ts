import type { CouponRedemption, PrismaClient } from '@rgb/db';
import { type BrandRef, isUuid, NEWEST_FIRST } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface PromotionLoaders {
  /** A player's coupon redemptions of the request's brand, newest first. */
  couponsByPlayerId: DataLoader<string, CouponRedemption[]>;
}

export function createLoaders(prisma: PrismaClient, brand: BrandRef): PromotionLoaders {
  return {
    couponsByPlayerId: new DataLoader(async (playerIds) => {
      const rows = await prisma.couponRedemption.findMany({ where: { brandId: brand.id, playerId: { in: playerIds.filter(isUuid) } }, orderBy: NEWEST_FIRST });
      const byPlayer = new Map<string, CouponRedemption[]>();
      for (const row of rows) byPlayer.set(row.playerId, [...(byPlayer.get(row.playerId) ?? []), row]);
      return playerIds.map((id) => byPlayer.get(id) ?? []);
    }),
  };
}
