import type { StaffActor } from '@rgb/events';

export type { StaffActor };

/** The ledger's `caused_by` of a staff member's command. */
export const causedBy = (actor: StaffActor) => `staff:${actor.staffId}`;
