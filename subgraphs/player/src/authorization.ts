import { forbidden, type Permission } from '@rgb/contracts';
import type { StaffActor } from '@rgb/events';
import { type AgentSight, requireCaller, requirePermission, type Caller } from '@rgb/kit';

interface StaffRequest {
  caller: Caller | null;
  requestId: string;
}

/** Who acts, once they hold `permission` (with `allBrands`, every brand in scope): for the audit log. */
function staffActor({ caller, requestId }: StaffRequest, permission: Permission, { allBrands = false } = {}): StaffActor {
  return { staffId: requirePermission(caller, permission, { allBrands }).id, requestId };
}

/** An agent caller may see only the players the agent domain says it may (its subtree's, on a brand it serves). */
async function requireAgentSees(sight: AgentSight, playerId: string): Promise<void> {
  if (!(await sight.mayAgentSeePlayer(playerId))) throw forbidden('this player is not one of yours');
}

/**
 * Who may do what in the player domain, decided here only. The public content and translations
 * are read by anyone, anonymous callers included, so they have no entry here.
 */
export const playerAccess = {
  readPlayer: (caller: Caller | null) => requirePermission(caller, 'players.read'),
  /**
   * A player by reference: an agent only one it may see (then its id, username, nickname, status
   * and createdAt); other callers as each field says. Staff and players ask nothing of the agent domain.
   */
  async referPlayer(caller: Caller | null, sight: AgentSight, playerId: string): Promise<void> {
    if (caller?.kind === 'agent') await requireAgentSees(sight, playerId);
  },
  /** What a player may know of themself: they read their own, agents a player they may see, staff with players.read anyone's of the brand. */
  async readOwnDetail(caller: Caller | null, sight: AgentSight, playerId: string): Promise<void> {
    if (caller?.kind === 'agent') await requireAgentSees(sight, playerId);
    else if (caller?.kind !== 'player') requirePermission(caller, 'players.read');
    else if (caller.id !== playerId) throw forbidden('this belongs to another player');
  },
  blockPlayer: (request: StaffRequest) => staffActor(request, 'players.block'),
  sendMessage: (request: StaffRequest) => staffActor(request, 'messages.send'),
  /** A player's inbox is theirs alone: staff send to it but do not read it. */
  readInbox(caller: Caller | null, playerId: string): void {
    if (requireCaller(caller, 'player').id !== playerId) throw forbidden('this inbox belongs to another player');
  },
  /** The calling player, whose own messages they mark read. */
  inboxOwner: (caller: Caller | null) => requireCaller(caller, 'player').id,
  /** Drafts and every entry of the brand, as the back office lists them. */
  readContent: (caller: Caller | null) => requirePermission(caller, 'content.read'),
  manageContent: (request: StaffRequest) => staffActor(request, 'content.manage'),
  readTranslations: (caller: Caller | null) => requirePermission(caller, 'i18n.manage'),
  /** The platform defaults serve every brand: changing one needs every brand in scope. */
  manageTranslations: (request: StaffRequest, platformDefault: boolean | null | undefined) =>
    staffActor(request, 'i18n.manage', { allBrands: platformDefault === true }),
};
