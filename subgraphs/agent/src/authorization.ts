import { forbidden } from '@rgb/contracts';
import type { Agent } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { requireCaller, requirePermission } from '@rgb/kit';
import type { AgentBrands } from './agent-brands';
import type { Context } from './context';
import { inSubtree } from './subtree';

/** Who reads agents: staff with agents.read (every agent), or an agent (its own subtree). */
export type AgentViewer = { kind: 'staff' } | { kind: 'agent'; agent: Agent };

type Asking = Pick<Context, 'caller' | 'brand' | 'loaders' | 'services'>;

/** Whether an agent may act now on `brandId`: active, and on its allow-list. */
export async function agentMayServe(agentBrands: AgentBrands, agent: Agent | null, brandId: string): Promise<boolean> {
  return agent?.status === 'ACTIVE' && (await agentBrands.serves(agent.id, brandId));
}

/**
 * Who may do what in the agent domain, decided here only. Every answer to an agent caller first
 * checks that the agent is still active and serves the request's brand: a suspension or an
 * allow-list change takes effect on its next request, whatever its token says.
 */
export const agentAccess = {
  /** The calling agent as it is now; FORBIDDEN when suspended or not serving the request's brand. */
  async callingAgent({ caller, brand, loaders, services }: Asking): Promise<Agent> {
    const { id } = requireCaller(caller, 'agent');
    const agent = await loaders.agentById.load(id);
    if (!(await agentMayServe(services.agentBrands, agent, brand.id))) throw forbidden('this agent may not act on this brand');
    return agent!;
  },

  /** The viewer of agents: the calling agent, or staff with agents.read; anyone else is refused. */
  async viewer(context: Asking): Promise<AgentViewer> {
    if (context.caller?.kind === 'agent') return { kind: 'agent', agent: await agentAccess.callingAgent(context) };
    requirePermission(context.caller, 'agents.read');
    return { kind: 'staff' };
  },

  /** `target` when the viewer may see it, else null: an agent outside the viewer's subtree is answered as absent. */
  visible(viewer: AgentViewer, target: Agent | null): Agent | null {
    if (!target) return null;
    return viewer.kind === 'staff' || inSubtree(viewer.agent, target) ? target : null;
  },

  /** What `agent` lists (sub-agents, players, money), to a viewer who may see it; FORBIDDEN otherwise. */
  async requireVisible(context: Asking, agent: Agent): Promise<void> {
    if (!agentAccess.visible(await agentAccess.viewer(context), agent)) throw forbidden('this agent is outside your subtree');
  },

  listAgents: (caller: Context['caller']) => void requirePermission(caller, 'agents.read'),

  /** Staff reading agents' money on the request's brand (every agent's withdrawals). */
  readAgentMoney: (caller: Context['caller']) => void requirePermission(caller, 'agents.read'),

  /** A coupon's code: for the agent that granted it and for staff, not for the agents above it. */
  couponCodeVisible: (caller: Context['caller'], grantingAgentId: string): boolean =>
    caller?.kind === 'staff' || (caller?.kind === 'agent' && caller.id === grantingAgentId),

  /** Staff deciding agents' withdrawals of the request's brand. */
  decideWithdrawals: ({ caller, requestId }: Pick<Context, 'caller' | 'requestId'>): StaffActor => ({
    staffId: requirePermission(caller, 'agent_withdrawals.decide').id,
    requestId,
  }),

  /**
   * Staff sending a FAILED call of agents' money again: the withdrawal deciders, as most such calls
   * are a withdrawal's hold or release, and sending one again moves no more than its key allows.
   */
  retryCalls: ({ caller, requestId }: Pick<Context, 'caller' | 'requestId'>): StaffActor => ({
    staffId: requirePermission(caller, 'agent_withdrawals.decide').id,
    requestId,
  }),

  /** Staff adjusting agents' balances on the request's brand. */
  adjustBalances: ({ caller, requestId }: Pick<Context, 'caller' | 'requestId'>): StaffActor => ({
    staffId: requirePermission(caller, 'agent_balances.adjust').id,
    requestId,
  }),

  /** Staff changing agents: agents are global, so agents.manage with every brand in scope. */
  manageAgents: ({ caller, requestId }: Pick<Context, 'caller' | 'requestId'>): StaffActor => ({
    staffId: requirePermission(caller, 'agents.manage', { allBrands: true }).id,
    requestId,
  }),
};
