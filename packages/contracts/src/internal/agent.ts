import { z } from 'zod';
import { defineRoute } from './route';

/**
 * `/internal/agent/*`: what the agent domain answers the other services. It alone decides which
 * agents and players an agent may see (its subtree, on the brands it serves); the player, wallet
 * and game subgraphs ask it before answering an agent caller.
 */

const uuid = z.uuid();
/** How many ids one access question may carry: a page of a connection and then some. */
export const AGENT_ACCESS_MAX_IDS = 500;

export const agentRoutes = {
  /** The agent a registering player names by code, if it is active and serves the brand; NOT_FOUND otherwise (one answer for all three, so codes cannot be probed). */
  referral: defineRoute({
    method: 'POST',
    path: '/internal/agent/referrals/resolve',
    request: z.object({ brand_id: uuid, agent_code: z.string().min(1).max(64) }),
    response: z.object({ agent_id: uuid }),
    errors: ['NOT_FOUND'],
  }),
  /**
   * What agent `agent_id` may see on brand `brand_id` now, of the ids asked: `serves_brand` is
   * false for an unknown, suspended or not-allowed agent (and then nothing is visible); otherwise
   * the players referred by the agent or an agent under it, and the agents of its subtree (itself
   * included), among those asked.
   */
  access: defineRoute({
    method: 'POST',
    path: '/internal/agent/access',
    request: z.object({
      brand_id: uuid,
      agent_id: uuid,
      player_ids: z.array(uuid).max(AGENT_ACCESS_MAX_IDS).default([]),
      agent_ids: z.array(uuid).max(AGENT_ACCESS_MAX_IDS).default([]),
    }),
    toWire: (request) => request,
    response: z.object({ serves_brand: z.boolean(), player_ids: z.array(uuid), agent_ids: z.array(uuid) }),
  }),
  /** An agent by id (the admin domain checks one exists before writing its allow-list). */
  find: defineRoute({
    method: 'GET',
    path: '/internal/agent/agents/:agent_id',
    request: z.object({ agent_id: z.string().min(1) }),
    response: z.object({ id: uuid, code: z.string(), status: z.enum(['ACTIVE', 'SUSPENDED']) }),
    errors: ['NOT_FOUND'],
  }),
};
export type AgentAccessAnswer = z.output<typeof agentRoutes.access.response>;
