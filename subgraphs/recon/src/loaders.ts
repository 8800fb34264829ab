import type { PrismaClient, ReconMatch, ReconMessage } from '@rgb/db';
import { type BrandRef, isUuid } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface ReconLoaders {
  /** The brand's messages by id (null for none, or another brand's). */
  messageById: DataLoader<string, ReconMessage | null>;
  /** The match of each message (null for none). */
  matchByMessageId: DataLoader<string, ReconMatch | null>;
}

export function createLoaders(prisma: PrismaClient, brand: BrandRef): ReconLoaders {
  return {
    messageById: new DataLoader(async (ids) => {
      const rows = await prisma.reconMessage.findMany({ where: { id: { in: ids.filter(isUuid) }, brandId: brand.id } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    matchByMessageId: new DataLoader(async (ids) => {
      const rows = await prisma.reconMatch.findMany({ where: { messageId: { in: ids.filter(isUuid) }, brandId: brand.id } });
      const byMessage = new Map(rows.map((row) => [row.messageId, row]));
      return ids.map((id) => byMessage.get(id) ?? null);
    }),
  };
}
