import type { PrismaClient, Rolling } from '@rgb/db';
import { type BrandRef, isUuid, NEWEST_FIRST } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface RollingLoaders {
  /** A player's requirements of the request's brand, newest first. */
  rollingsByPlayerId: DataLoader<string, Rolling[]>;
}

export function createLoaders(prisma: PrismaClient, brand: BrandRef): RollingLoaders {
  return {
    rollingsByPlayerId: new DataLoader(async (playerIds) => {
      const rows = await prisma.rolling.findMany({ where: { brandId: brand.id, playerId: { in: playerIds.filter(isUuid) } }, orderBy: NEWEST_FIRST });
      const byPlayer = new Map<string, Rolling[]>();
      for (const row of rows) byPlayer.set(row.playerId, [...(byPlayer.get(row.playerId) ?? []), row]);
      return playerIds.map((id) => byPlayer.get(id) ?? []);
    }),
  };
}
