import { SessionManager } from '@rgb/auth';
import { agentRoutes, notFound } from '@rgb/contracts';
import { BrandConfigs, createLoginThrottle, isUuid, type LoginThrottle, repositoryPath, serveRoute, startSubgraph, type SubgraphDefinition } from '@rgb/kit';
import { AgentBrands } from './agent-brands';
import { agentMayServe } from './authorization';
import { CallExecutor, calledServices } from './calls';
import type { AgentConfig } from './config';
import { agentDomain } from './domain';
import { type AgentLoaders, createLoaders } from './loaders';
import { moneySettlers } from './money-settlers';
import { resolvers } from './resolvers';
import { subtreeAgentIds, subtreePlayerIds } from './subtree';

export { loadAgentConfig, type AgentConfig } from './config';

export interface AgentServices {
  sessions: SessionManager;
  loginThrottle: LoginThrottle;
  /** Which brands each agent may serve (the admin domain's allow-list). */
  agentBrands: AgentBrands;
  /** The brands' configs (withdrawal limits, the deposit rolling multiplier of agents' coupons). */
  brandConfigs: BrandConfigs;
  /** Performs the calls agents' money moves through (the wallet, promotion). */
  calls: CallExecutor;
  close(): Promise<void>;
}

/** The agent subgraph, and its `/internal/agent/*` routes: a referral's agent, what an agent may see, an agent by id. */
export function agentSubgraph(config: AgentConfig): SubgraphDefinition<AgentLoaders, AgentServices> {
  return {
    name: agentDomain.api.name,
    schemaPath: repositoryPath(agentDomain.api.schema),
    resolvers,
    createLoaders,
    async createServices(deps) {
      const agentBrands = new AgentBrands({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, tokens: deps.serviceTokens, log: deps.log, ttlMs: config.AGENT_BRANDS_TTL_MS });
      await agentBrands.start();
      const brandConfigs = new BrandConfigs({ adminUrl: config.ADMIN_URL, redisUrl: config.REDIS_URL, serviceName: 'agent', tokens: deps.serviceTokens, log: deps.log });
      await brandConfigs.start();
      const clients = calledServices(config, deps.serviceTokens, 'agent');
      const calls = new CallExecutor({ prisma: deps.prisma, ...clients, log: deps.log, retryMs: config.CALL_RETRY_MS, settlers: moneySettlers });
      return {
        sessions: new SessionManager(
          deps.prisma,
          'agent.agent_session',
          deps.userTokens,
          config.AUTH_JWT_SECRET,
          'agent',
          (sessionId) => deps.revocations.revoke(sessionId),
          (agentId) => agentBrands.brandIds(agentId),
        ),
        loginThrottle: createLoginThrottle(deps),
        agentBrands,
        brandConfigs,
        calls,
        close: async () => {
          await Promise.all([agentBrands.stop(), brandConfigs.stop(), clients.close()]);
        },
      };
    },
    closeServices: (services) => services.close(),
    internalRoutes: (app, { prisma }, services) => {
      serveRoute(app, agentRoutes.referral, async ({ brand_id, agent_code }) => {
        const agent = await prisma.agent.findUnique({ where: { code: agent_code.trim().toUpperCase() } });
        if (!(await agentMayServe(services.agentBrands, agent, brand_id))) throw notFound('no such agent');
        return { agent_id: agent!.id };
      });
      serveRoute(app, agentRoutes.access, async ({ brand_id, agent_id, player_ids, agent_ids }) => {
        const agent = await prisma.agent.findUnique({ where: { id: agent_id } });
        if (!(await agentMayServe(services.agentBrands, agent, brand_id))) return { serves_brand: false, player_ids: [], agent_ids: [] };
        const [players, agents] = await Promise.all([subtreePlayerIds(prisma, agent_id, brand_id, player_ids), subtreeAgentIds(prisma, agent_id, agent_ids)]);
        return { serves_brand: true, player_ids: players, agent_ids: agents };
      });
      serveRoute(app, agentRoutes.find, async ({ agent_id }) => {
        const agent = isUuid(agent_id) ? await prisma.agent.findUnique({ where: { id: agent_id } }) : null;
        if (!agent) throw notFound('no such agent');
        return { id: agent.id, code: agent.code, status: agent.status };
      });
    },
  };
}

export const start = (config: AgentConfig) => startSubgraph(agentSubgraph(config), config);
export { agentWorker } from './worker';
