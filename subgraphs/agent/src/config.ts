import { baseLocalDefaults, loadConfig, subgraphEnv, workerEnv } from '@rgb/kit';
import { z } from 'zod';
import { agentDomain } from './domain';

/** The services an agent's money moves through: the same for the API and the worker. */
const calledServices = {
  /** Where agents' balances are held and moved. */
  WALLET_URL: z.url().default('http://127.0.0.1:8011'),
  /** Where the coupons agents grant are issued and recycled. */
  PROMOTION_URL: z.url().default('http://127.0.0.1:8014'),
  /** The first retry of a call that got no answer; each further one waits twice as long, up to a minute, until answered. */
  CALL_RETRY_MS: z.coerce.number().int().positive().default(1_000),
};

export const agentEnv = subgraphEnv(agentDomain.api.port).extend({
  /** How long an agent's allow-list serves without a change notice: the bound on a lost notice. */
  AGENT_BRANDS_TTL_MS: z.coerce.number().int().positive().default(30_000),
  ...calledServices,
});
export type AgentConfig = z.infer<typeof agentEnv>;

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadConfig(agentEnv, { env, localDefaults: baseLocalDefaults });
}

export const agentWorkerEnv = workerEnv(agentDomain.worker.port).extend(calledServices);
export type AgentWorkerConfig = z.infer<typeof agentWorkerEnv>;

export function loadAgentWorkerConfig(env: NodeJS.ProcessEnv = process.env): AgentWorkerConfig {
  return loadConfig(agentWorkerEnv, { env, localDefaults: baseLocalDefaults });
}
