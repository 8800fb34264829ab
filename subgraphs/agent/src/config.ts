import { baseLocalDefaults, loadConfig, subgraphEnv, workerEnv } from '@rgb/kit';
import { z } from 'zod';
import { agentDomain } from './domain';

export const agentEnv = subgraphEnv(agentDomain.api.port).extend({
  /** How long an agent's allow-list serves without a change notice: the bound on a lost notice. */
  AGENT_BRANDS_TTL_MS: z.coerce.number().int().positive().default(30_000),
});
export type AgentConfig = z.infer<typeof agentEnv>;

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadConfig(agentEnv, { env, localDefaults: baseLocalDefaults });
}

export const agentWorkerEnv = workerEnv(agentDomain.worker.port);
export type AgentWorkerConfig = z.infer<typeof agentWorkerEnv>;

export function loadAgentWorkerConfig(env: NodeJS.ProcessEnv = process.env): AgentWorkerConfig {
  return loadConfig(agentWorkerEnv, { env, localDefaults: baseLocalDefaults });
}
