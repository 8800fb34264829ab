import type { AuditLog, Prisma, PrismaClient } from '@rgb/db';
import type { TypedEnvelope } from '@rgb/contracts';
import { NEWEST_FIRST, paginate, parseInstant, type Connection } from '@rgb/kit';
import type { AuditLogFilter } from './generated/resolvers-types';

/** Who acts, through which brand, in which request: what every audit row of a request shares. */
export interface Actor {
  staffId: string;
  brandId: string;
  requestId: string;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  before: Prisma.InputJsonValue | null;
  after: Prisma.InputJsonValue | null;
  reason?: string | null;
}

/** Written in the transaction of the change it describes: if it fails, the change fails with it. */
export async function recordAudit(tx: Prisma.TransactionClient, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      staffId: actor.staffId,
      brandId: actor.brandId,
      requestId: actor.requestId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before ?? undefined,
      after: entry.after ?? undefined,
      reason: entry.reason,
    },
  });
}

/**
 * Another domain's STAFF_ACTION_RECORDED as its audit row, under the event's id and time; the
 * consumer's inbox keeps a redelivered event from writing it twice.
 */
export async function recordStaffActionEvent(tx: Prisma.TransactionClient, event: TypedEnvelope<'STAFF_ACTION_RECORDED'>): Promise<void> {
  const { payload } = event;
  await tx.auditLog.create({
    data: {
      id: event.event_id,
      staffId: payload.staff_id,
      brandId: event.brand_id,
      requestId: payload.request_id,
      action: payload.action,
      targetType: payload.target_type,
      targetId: payload.target_id,
      before: payload.before ?? undefined,
      after: payload.after ?? undefined,
      createdAt: new Date(event.occurred_at),
    },
  });
}

/** One page of the audit log, newest first, within `brandIds` (undefined: every brand and none). */
export function auditLogPage(
  prisma: PrismaClient,
  filter: AuditLogFilter | null | undefined,
  page: { first?: number | null; after?: string | null },
  brandIds: string[] | undefined,
): Promise<Connection<AuditLog>> {
  const from = parseInstant(filter?.from, 'from');
  const to = parseInstant(filter?.to, 'to');
  const where: Prisma.AuditLogWhereInput = {
    ...(brandIds ? { brandId: { in: brandIds } } : {}),
    ...(filter?.staffId ? { staffId: filter.staffId } : {}),
    ...(filter?.action ? { action: filter.action } : {}),
    ...(filter?.targetType ? { targetType: filter.targetType } : {}),
    ...(filter?.targetId ? { targetId: filter.targetId } : {}),
    ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}),
  };
  return paginate(
    page,
    (position, take) => prisma.auditLog.findMany({ where: { AND: [where, position] }, orderBy: NEWEST_FIRST, take }),
    () => prisma.auditLog.count({ where }),
  );
}
