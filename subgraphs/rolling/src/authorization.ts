import { forbidden } from '@rgb/contracts';
import type { StaffActor } from '@rgb/events';
import { type Caller, requirePermission } from '@rgb/kit';

/** Who may do what in the rolling domain, decided here only. */
export const rollingAccess = {
  /** A player reads only their own requirements, services any, staff any of the brand with rollings.read. */
  readPlayerRollings(caller: Caller | null, playerId: string): void {
    if (caller?.kind === 'service') return;
    if (caller?.kind !== 'player') requirePermission(caller, 'rollings.read');
    else if (caller.id !== playerId) throw forbidden("these are another player's requirements");
  },
  listRollings: (caller: Caller | null) => void requirePermission(caller, 'rollings.read'),
  cancelRolling: ({ caller, requestId }: { caller: Caller | null; requestId: string }): StaffActor => ({
    staffId: requirePermission(caller, 'rollings.manage').id,
    requestId,
  }),
};
