import type { PrismaClient } from '@rgb/db';
import { z } from 'zod';
import type { Operator } from './operators';
import { parseBody } from './parse';

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `next_cursor` of the page before: entries older than it. */
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'must be a next_cursor this API gave')
    .optional(),
});

/** GET /audit: the operator's audit log, newest first, a page at a time. */
export async function listAudit(prisma: PrismaClient, operator: Operator, query: unknown) {
  const { limit, cursor } = parseBody(auditQuery, query);
  const rows = await prisma.rgsAuditLog.findMany({
    where: { operatorId: operator.id, ...(cursor ? { id: { lt: BigInt(cursor) } } : {}) },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      id: row.id.toString(),
      action: row.action,
      target_type: row.targetType,
      target_id: row.targetId,
      details: row.details,
      request_id: row.requestId,
      created_at: row.createdAt.toISOString(),
    })),
    next_cursor: rows.length > limit ? page.at(-1)!.id.toString() : null,
  };
}
