import type { EventPayload } from '@rgb/contracts';
import { appendToOutbox } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import type { Tx } from './ledger';

/** A staff member acting in one request: the ledger's `caused_by` and the audit log's who. */
export interface StaffActor {
  staffId: string;
  requestId: string;
}

export const causedBy = (actor: StaffActor) => `staff:${actor.staffId}`;

type StaffAction = Pick<EventPayload<'STAFF_ACTION_RECORDED'>, 'action' | 'target_type' | 'target_id' | 'before' | 'after'>;

/** The action's STAFF_ACTION_RECORDED, in the transaction of the change (the admin domain keeps it in its audit log). */
export async function recordStaffAction(tx: Tx, brand: BrandRef, actor: StaffActor, action: StaffAction): Promise<void> {
  await appendToOutbox(tx, 'wallet.outbox', {
    type: 'STAFF_ACTION_RECORDED',
    owner: { brandId: brand.id },
    brandId: brand.id,
    aggregateType: action.target_type,
    aggregateId: action.target_id,
    payload: { staff_id: actor.staffId, request_id: actor.requestId, ...action },
  });
}
