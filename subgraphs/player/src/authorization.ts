import { requirePermission, type Caller } from '@rgb/kit';

/** Who may do what in the player domain, decided here only. */
export const playerAccess = {
  readPlayer: (caller: Caller | null) => requirePermission(caller, 'players.read'),
};
