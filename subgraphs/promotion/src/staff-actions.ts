import type { PrismaClient } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction, recordStaffAction, type StaffAction, type StaffActor } from '@rgb/events';

/** How long a staff change waits for a pooled connection, and may then run (generating 1000 codes included). */
const STAFF_TX = { maxWait: 10_000, timeout: 15_000 } as const;

/**
 * Runs a staff change with its STAFF_ACTION_RECORDED in promotion's outbox, in the same
 * transaction: promotion_worker publishes it to rgb:stream:promotion, and the admin domain's
 * worker keeps it in the audit log. `brandId` is the brand the staff member acted through.
 */
export async function auditedChange<T>(
  prisma: PrismaClient,
  brandId: string,
  actor: StaffActor,
  change: (tx: OutboxTransaction) => Promise<{ result: T; action: StaffAction }>,
): Promise<T> {
  return outboxTransaction(
    prisma,
    async (tx) => {
      const { result, action } = await change(tx);
      await recordStaffAction(tx, 'promotion.outbox', brandId, actor, action);
      return result;
    },
    STAFF_TX,
  );
}
