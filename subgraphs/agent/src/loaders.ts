import type { Agent, PrismaClient } from '@rgb/db';
import { isUuid } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface AgentLoaders {
  /** Agents by id (null for none); who may see each is authorization.ts's to say. */
  agentById: DataLoader<string, Agent | null>;
}

export function createLoaders(prisma: PrismaClient): AgentLoaders {
  return {
    agentById: new DataLoader(async (ids) => {
      const rows = await prisma.agent.findMany({ where: { id: { in: ids.filter(isUuid) } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
