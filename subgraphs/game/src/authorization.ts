import { adminRoutes, DomainError, forbidden, type Permission } from '@rgb/contracts';
import type { StaffActor } from '@rgb/events';
import { type AgentSight, admitStaff, holdsPermission, requirePermission, type CallContext, type Caller, type ServiceClient, type UserCaller } from '@rgb/kit';

/**
 * Who may do what in the game domain, decided here only. Games and providers serve every brand,
 * so switching them needs the permission with every brand in scope.
 */
export const gameAccess = {
  /** Staff with games.read see disabled games and providers too; everyone else the enabled ones. */
  seesDisabledGames: (caller: Caller | null) => holdsPermission(caller, 'games.read'),
  readProviders: (caller: Caller | null) => requirePermission(caller, 'providers.read'),
  readRounds: (caller: Caller | null) => requirePermission(caller, 'game_rounds.read'),
  /** A player reads their own history, an agent that of a player it may see (the agent domain decides: asked for agents only); staff need game_rounds.read. */
  async readHistory(caller: Caller | null, sight: AgentSight, playerId: string): Promise<void> {
    if (caller?.kind === 'agent') {
      if (!(await sight.mayAgentSeePlayer(playerId))) throw forbidden('this history belongs to a player who is not yours');
    } else if (caller?.kind !== 'player') requirePermission(caller, 'game_rounds.read');
    else if (caller.id !== playerId) throw forbidden('this history belongs to another player');
  },
  switchGame: (request: StaffRequest) => staffActor(request, 'games.manage'),
  switchProvider: (request: StaffRequest) => staffActor(request, 'providers.manage'),
};

interface StaffRequest {
  caller: Caller | null;
  requestId: string;
}

/** Who switches what every brand shares, once they hold `permission` with every brand in scope: for the audit log. */
function staffActor({ caller, requestId }: StaffRequest, permission: Permission): StaffActor {
  return { staffId: requirePermission(caller, permission, { allBrands: true }).id, requestId };
}

const INTEGRATION_PERMISSION: Permission = 'providers.manage';

/**
 * The integration routes do not pass the router: they ask the admin domain what the token's
 * staff member may do now, and need providers.manage with every brand in scope.
 */
export class IntegrationStaff {
  constructor(private readonly admin: ServiceClient) {}

  /** Null when `staff` may use the integration routes; else the status and reason to answer. */
  async refusal(staff: Omit<UserCaller, 'kind' | 'access'>, context: CallContext): Promise<{ status: number; error: string } | null> {
    const { access } = await this.admin.value(adminRoutes.staffAccess, { staff_id: staff.id }, context);
    const admission = admitStaff(access, staff.brandId);
    if (!admission.admitted) return { status: admission.status, error: admission.reason };
    try {
      requirePermission({ ...staff, kind: 'staff', access: admission.grant }, INTEGRATION_PERMISSION, { allBrands: true });
      return null;
    } catch (error) {
      if (error instanceof DomainError) return { status: 403, error: error.message };
      throw error;
    }
  }
}
