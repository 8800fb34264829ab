import type { StaffAccess } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import DataLoader from 'dataloader';
import { staffAccess } from './access';
import { brandIdsOfAgents } from './agent-brands';
import type { BrandRecord } from './brands';

export interface AdminLoaders {
  brandById: DataLoader<string, BrandRecord | null>;
  brandIdsByAgentId: DataLoader<string, string[]>;
  /** The staff member reading (once per request, whatever the number of brands or agents answered). */
  staffAccessById: DataLoader<string, StaffAccess | null>;
}

export function createLoaders(prisma: PrismaClient, _brand: BrandRef): AdminLoaders {
  return {
    brandById: new DataLoader(async (ids) => {
      const rows = await prisma.brand.findMany({ where: { id: { in: [...ids] } }, include: { domains: true } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    brandIdsByAgentId: new DataLoader((agentIds) => brandIdsOfAgents(prisma, agentIds)),
    staffAccessById: new DataLoader((ids) => Promise.all(ids.map((id) => staffAccess(prisma, id)))),
  };
}
