import { forbidden, type Permission } from '@rgb/contracts';
import { type AgentSight, requirePermission, type Caller } from '@rgb/kit';
import type { StaffActor } from './staff-actions';

/** Who may do what in the wallet domain, decided here only. */
export const walletAccess = {
  /**
   * A player reads only their own wallet, an agent the wallet of a player it may see (the agent
   * domain decides: asked for agents only), services any, staff any of the brand with wallets.read.
   */
  async readWallet(caller: Caller | null, sight: AgentSight, playerId: string): Promise<void> {
    if (caller?.kind === 'service') return;
    if (caller?.kind === 'agent') {
      if (!(await sight.mayAgentSeePlayer(playerId))) throw forbidden('this wallet belongs to a player who is not yours');
    } else if (caller?.kind !== 'player') requirePermission(caller, 'wallets.read');
    else if (caller.id !== playerId) throw forbidden('this wallet belongs to another player');
  },
  /** An agent reads only their own wallet, staff any agent's on the brand with agents.read. */
  readAgentWallet(caller: Caller | null, agentId: string): void {
    if (caller?.kind !== 'agent') requirePermission(caller, 'agents.read');
    else if (caller.id !== agentId) throw forbidden('this wallet belongs to another agent');
  },
  readDeposits: (caller: Caller | null) => requirePermission(caller, 'deposits.read'),
  readWithdrawals: (caller: Caller | null) => requirePermission(caller, 'withdrawals.read'),
  decideDeposit: (request: StaffRequest) => staffActor(request, 'deposits.decide'),
  decideWithdrawal: (request: StaffRequest) => staffActor(request, 'withdrawals.decide'),
  adjustBalance: (request: StaffRequest) => staffActor(request, 'wallets.adjust'),
};

interface StaffRequest {
  caller: Caller | null;
  requestId: string;
}

/** Who acts, once they hold `permission`: for the ledger and the audit log. */
function staffActor({ caller, requestId }: StaffRequest, permission: Permission): StaffActor {
  return { staffId: requirePermission(caller, permission).id, requestId };
}
