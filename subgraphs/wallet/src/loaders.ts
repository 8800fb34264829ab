import type { PrismaClient, WalletAccount } from '@rgb/db';
import { type AgentSight, type BrandRef, isUuid } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface WalletLoaders {
  accountByPlayerId: DataLoader<string, WalletAccount | null>;
  /** An agent's account on the request's brand. */
  accountByAgentId: DataLoader<string, WalletAccount | null>;
  /** Which players the calling agent may see, asked of the agent domain once per request. */
  agentSight: AgentSight;
}

/** An id that is not a uuid names no account (and must not reach a `::uuid` cast). */
export function createLoaders(prisma: PrismaClient, brand: BrandRef, agentSight: AgentSight): WalletLoaders {
  return {
    agentSight,
    accountByPlayerId: new DataLoader(async (playerIds) => {
      const rows = await prisma.walletAccount.findMany({ where: { playerId: { in: playerIds.filter(isUuid) }, brandId: brand.id } });
      const byPlayer = new Map(rows.map((row) => [row.playerId, row]));
      return playerIds.map((id) => byPlayer.get(id) ?? null);
    }),
    accountByAgentId: new DataLoader(async (agentIds) => {
      const rows = await prisma.walletAccount.findMany({ where: { agentId: { in: agentIds.filter(isUuid) }, brandId: brand.id } });
      const byAgent = new Map(rows.map((row) => [row.agentId, row]));
      return agentIds.map((id) => byAgent.get(id) ?? null);
    }),
  };
}
