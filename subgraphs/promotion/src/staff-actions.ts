import type { Prisma, PrismaClient } from '@rgb/db';
import type { StaffAction, StaffActor } from '@rgb/events';
import type { Logger } from '@rgb/kit';

/** How long a staff change waits for a pooled connection, and may then run (generating 1000 codes included). */
const STAFF_TX = { maxWait: 10_000, timeout: 15_000 } as const;

/**
 * Runs a staff change and keeps its audit row (promotion.staff_action) in the same transaction;
 * once committed, logs it. Promotion has no event stream yet to carry STAFF_ACTION_RECORDED to
 * the admin domain's audit log: the row keeps the same facts until it does.
 */
export async function auditedChange<T>(
  prisma: PrismaClient,
  log: Logger,
  brandId: string,
  actor: StaffActor,
  change: (tx: Prisma.TransactionClient) => Promise<{ result: T; action: StaffAction }>,
): Promise<T> {
  const { result, action } = await prisma.$transaction(async (tx) => {
    const done = await change(tx);
    await tx.promotionStaffAction.create({
      data: {
        brandId,
        staffId: actor.staffId,
        requestId: actor.requestId,
        action: done.action.action,
        targetType: done.action.target_type,
        targetId: done.action.target_id,
        before: done.action.before ?? undefined,
        after: done.action.after ?? undefined,
      },
    });
    return done;
  }, STAFF_TX);
  log.info({ staffAction: { brandId, staffId: actor.staffId, requestId: actor.requestId, ...action } }, 'staff action recorded');
  return result;
}
