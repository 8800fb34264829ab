import { defineApi, defineDomain, defineWorker } from '@rgb/kit';

const api = defineApi({
  name: 'agent',
  port: 8015,
  schema: 'subgraphs/agent/schema.graphql',
  entry: 'subgraphs/agent/src/main.ts',
  start: async (env) => {
    const { loadAgentConfig, start } = await import('./index');
    return start(loadAgentConfig(env));
  },
});

const worker = defineWorker({
  name: 'agent_worker',
  port: 9015,
  entry: 'subgraphs/agent/src/worker-main.ts',
  start: async (env) => {
    const { loadAgentWorkerConfig, startAgentWorker } = await import('./worker');
    return startAgentWorker(loadAgentWorkerConfig(env));
  },
});

/**
 * agent: global agents in a tree, serving the brands of their allow-list (the admin domain's);
 * their login, and which players and agents each may see. Its worker publishes the agent outbox
 * and projects the player stream's registrations with an agent into who referred whom.
 */
export const agentDomain = defineDomain({
  name: 'agent',
  api,
  worker,
  produces: 'agent',
  outbox: 'agent.outbox',
  consumes: ['player'],
  inbox: 'agent.inbox',
});
