import { AGENT_ACCESS_MAX_IDS, agentRoutes } from '@rgb/contracts';
import DataLoader from 'dataloader';
import { isUuid } from './guards';
import type { Logger } from './logger';
import type { BrandRef, Caller } from './request-context';
import { callOrRefuse, ServiceCallError, type ServiceClient } from './service-client';

/** Where the admin domain announces a change of an agent's allow-list (the message: the agent's id). */
export const AGENT_BRANDS_CHANGED_CHANNEL = 'rgb:agent-brands:changed';

/** The request an agent caller's questions belong to. */
export interface AgentAccessRequest {
  brand: BrandRef;
  caller: Caller | null;
  requestId: string;
  traceparent: string | undefined;
  log: Logger;
}

/** What the calling agent may see in one request, as the agent domain answers it. */
export interface AgentSight {
  /** Whether the calling agent may see the player on the request's brand now; false for a caller that is not an agent. SERVICE_UNAVAILABLE without an answer. */
  mayAgentSeePlayer(playerId: string): Promise<boolean>;
}

/**
 * The agent domain's answer to which players an agent may see (packages/contracts
 * `agentRoutes.access`), for the subgraphs that answer agent callers. Built once per service on
 * its client of the agent service (AGENT_URL), which the service closes; `forRequest` gives each
 * request a loader batching its questions into one call. It fails closed: without an answer
 * nothing is visible, and the question errors.
 */
export class AgentAccess {
  constructor(private readonly agent: ServiceClient) {}

  forRequest({ brand, caller, requestId, traceparent, log }: AgentAccessRequest): AgentSight {
    const players = new DataLoader<string, boolean>(
      async (playerIds) => {
        // An id that is not a UUID names no player: it is not asked about (the route would refuse it).
        const asked = playerIds.filter(isUuid);
        if (caller?.kind !== 'agent' || asked.length === 0) return playerIds.map(() => false);
        const question = { brand_id: brand.id, agent_id: caller.id, player_ids: asked, agent_ids: [] };
        const result = await callOrRefuse(this.agent, agentRoutes.access, question, { requestId, traceparent, log }, 'what this agent may see cannot be checked right now; try again shortly');
        // The route refuses nothing it is asked here (only UUIDs, at most a batch): a refusal is a fault.
        if (!result.ok) throw new ServiceCallError(agentRoutes.access.name, `refused ${result.refusal.code}: ${result.refusal.message}`);
        const visible = new Set(result.value.serves_brand ? result.value.player_ids : []);
        return playerIds.map((id) => visible.has(id));
      },
      { maxBatchSize: AGENT_ACCESS_MAX_IDS },
    );
    return { mayAgentSeePlayer: (playerId) => players.load(playerId) };
  }
}
