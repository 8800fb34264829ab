import type { Agent, Prisma, PrismaClient } from '@rgb/db';
import { isUuid } from '@rgb/kit';

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Which agents and players an agent may see: the agents of its subtree (itself and every agent
 * under it) and the players those agents referred. The only place that decides it: the GraphQL
 * resolvers and the internal access route both ask here.
 *
 * An agent's `path` lists its ancestors' ids from the root down (`/<root>/.../<parent>/`, `/` at
 * the top), so the agents under A are those whose path starts with A's path followed by A's id.
 */

type Placed = Pick<Agent, 'id' | 'path'>;

/** The path prefix of every agent under `agent`: the path of its children. */
export const pathBelow = (agent: Placed | null): string => (agent ? `${agent.path}${agent.id}/` : '/');

/** Whether `target` is `viewer` or sits under it. */
export const inSubtree = (viewer: Placed, target: Placed): boolean => target.id === viewer.id || target.path.startsWith(pathBelow(viewer));

/** The ids among `agentIds` of agents in the subtree of `viewerId`. */
export async function subtreeAgentIds(db: Db, viewerId: string, agentIds: readonly string[]): Promise<string[]> {
  const ids = agentIds.filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT a.id::text AS id FROM agent.agent a JOIN agent.agent v ON v.id = ${viewerId}::uuid
     WHERE a.id = ANY(${ids}::uuid[]) AND (a.id = v.id OR a.path LIKE v.path || v.id::text || '/%')`;
  return rows.map(({ id }) => id);
}

/** The ids among `playerIds` of players of `brandId` referred by an agent in the subtree of `viewerId`. */
export async function subtreePlayerIds(db: Db, viewerId: string, brandId: string, playerIds: readonly string[]): Promise<string[]> {
  const ids = playerIds.filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await db.$queryRaw<{ player_id: string }[]>`
    SELECT p.player_id::text AS player_id
      FROM agent.agent_player p
      JOIN agent.agent a ON a.id = p.agent_id
      JOIN agent.agent v ON v.id = ${viewerId}::uuid
     WHERE p.player_id = ANY(${ids}::uuid[]) AND p.brand_id = ${brandId}::uuid
       AND (a.id = v.id OR a.path LIKE v.path || v.id::text || '/%')`;
  return rows.map(({ player_id }) => player_id);
}
