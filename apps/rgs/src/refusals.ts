import type { PrismaClient } from '@rgb/db';
import type { RgsError } from './errors';
import { type AuditEntry, journaled } from './journal';
import type { Operator } from './operators';

/**
 * Audits a compliance refusal in a transaction of its own, then throws it: the refusal stands
 * even when the audit cannot be written (the caller gets a 500, and nothing was let through).
 */
export async function refuse(prisma: PrismaClient, operator: Operator, requestId: string, error: RgsError, entry: AuditEntry): Promise<never> {
  await journaled(prisma, requestId, async (_tx, journal) => journal.audit(operator.id, refusalEntry(error, entry)));
  throw error;
}

/** The audit entry of a refusal: what was refused, and the code and reason the caller got. */
export function refusalEntry(error: RgsError, entry: AuditEntry): AuditEntry {
  return { ...entry, details: { ...entry.details, code: error.code, reason: error.message } };
}
