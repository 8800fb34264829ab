import type { ContentEntry, PrismaClient } from '@rgb/db';
import type { AgentSight, BrandRef } from '@rgb/kit';
import DataLoader from 'dataloader';
import type { PlayerRecord } from './players';

export interface PlayerLoaders {
  playerById: DataLoader<string, PlayerRecord | null>;
  contentEntryById: DataLoader<string, ContentEntry | null>;
  /** When each player's newest session opened (each login, and registering, opens one); null when none did. */
  lastLoginAtByPlayerId: DataLoader<string, Date | null>;
  /** Which players the calling agent may see, asked of the agent domain once per request. */
  agentSight: AgentSight;
}

/** Rows of the brand by id, in the order of `ids`, null where the brand has none. */
function byIdOf<T extends { id: string }>(load: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const byId = new Map((await load([...ids])).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Per-request loaders, scoped to the request's brand: a row of another brand is not found. */
export function createLoaders(prisma: PrismaClient, brand: BrandRef, agentSight: AgentSight): PlayerLoaders {
  return {
    agentSight,
    playerById: byIdOf((ids) => prisma.player.findMany({ where: { id: { in: ids }, brandId: brand.id } })),
    contentEntryById: byIdOf((ids) => prisma.contentEntry.findMany({ where: { id: { in: ids }, brandId: brand.id } })),
    lastLoginAtByPlayerId: new DataLoader(async (ids) => {
      const rows = await prisma.playerSession.groupBy({ by: ['subjectId'], where: { subjectId: { in: [...ids] }, brandId: brand.id }, _max: { createdAt: true } });
      const byId = new Map(rows.map((row) => [row.subjectId, row._max.createdAt]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
