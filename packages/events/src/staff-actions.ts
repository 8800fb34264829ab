import type { EventPayload } from '@rgb/contracts';
import { appendToOutbox, type OutboxEventType, type OutboxTable, type OutboxTransaction } from './outbox';

/** A staff member acting in one request: who, for the audit log (and the ledger's `caused_by`). */
export interface StaffActor {
  staffId: string;
  requestId: string;
}

/** The outboxes whose stream carries STAFF_ACTION_RECORDED. */
export type StaffActionOutbox = { [T in OutboxTable]: 'STAFF_ACTION_RECORDED' extends OutboxEventType<T> ? T : never }[OutboxTable];

export type StaffAction = Pick<EventPayload<'STAFF_ACTION_RECORDED'>, 'action' | 'target_type' | 'target_id' | 'before' | 'after'>;

/**
 * A domain's staff action as STAFF_ACTION_RECORDED in its outbox, in the transaction of the
 * change: the admin domain's worker keeps it in the audit log. `brandId` is the brand the staff
 * member acted through.
 */
export async function recordStaffAction(tx: OutboxTransaction, table: StaffActionOutbox, brandId: string, actor: StaffActor, action: StaffAction): Promise<void> {
  await appendToOutbox(tx, table, {
    type: 'STAFF_ACTION_RECORDED',
    owner: { brandId },
    brandId,
    aggregateType: action.target_type,
    aggregateId: action.target_id,
    payload: { staff_id: actor.staffId, request_id: actor.requestId, ...action },
  });
}
