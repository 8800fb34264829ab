import type { PrismaClient } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import DataLoader from 'dataloader';
import type { PlayerRecord } from './players';

export interface PlayerLoaders {
  playerById: DataLoader<string, PlayerRecord | null>;
  /** When each player's newest session opened (each login, and registering, opens one); null when none did. */
  lastLoginAtByPlayerId: DataLoader<string, Date | null>;
}

/** Per-request loaders, scoped to the request's brand: a player of another brand is not found. */
export function createLoaders(prisma: PrismaClient, brand: BrandRef): PlayerLoaders {
  return {
    playerById: new DataLoader(async (ids) => {
      const rows = await prisma.player.findMany({ where: { id: { in: [...ids] }, brandId: brand.id } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    lastLoginAtByPlayerId: new DataLoader(async (ids) => {
      const rows = await prisma.playerSession.groupBy({ by: ['subjectId'], where: { subjectId: { in: [...ids] }, brandId: brand.id }, _max: { createdAt: true } });
      const byId = new Map(rows.map((row) => [row.subjectId, row._max.createdAt]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
