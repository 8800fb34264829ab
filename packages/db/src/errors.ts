import pg from 'pg';
import { Prisma } from './generated/prisma/client';

/**
 * The unique constraint (index name) a write violated, or null when the error is something else.
 * Covers model writes (P2002), raw SQL through the driver adapter (P2010, SQLSTATE 23505) and
 * direct statements (SQLSTATE 23505).
 */
export function uniqueViolation(error: unknown): string | null {
  // A direct statement (directSql) fails with node-postgres's own error.
  if (error instanceof pg.DatabaseError) return error.code === '23505' ? (error.constraint ?? 'unique') : null;
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return null;
  if (error.code === 'P2002') {
    const meta = error.meta as { target?: unknown; driverAdapterError?: { cause?: { constraint?: { index?: string } } } } | undefined;
    return meta?.driverAdapterError?.cause?.constraint?.index ?? String(meta?.target ?? 'unique');
  }
  const cause = (error.meta as { driverAdapterError?: { cause?: { originalCode?: string; constraint?: { index?: string } } } } | undefined)
    ?.driverAdapterError?.cause;
  if (error.code === 'P2010' && cause?.originalCode === '23505') return cause.constraint?.index ?? 'unique';
  return null;
}

/** SQLSTATEs of a transaction PostgreSQL aborted to break a conflict: deadlock_detected, serialization_failure. */
const TRANSIENT_CONFLICTS = new Set(['40P01', '40001']);

/**
 * Whether PostgreSQL aborted the transaction to break a deadlock or a serialization conflict:
 * nothing it did was kept, and the same work run again may well succeed. Covers raw SQL through
 * the driver adapter (P2010 with the SQLSTATE), Prisma's own report of it (P2034) and direct
 * statements.
 */
export function transientConflict(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return TRANSIENT_CONFLICTS.has(error.code ?? '');
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === 'P2034') return true;
  const cause = (error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  return TRANSIENT_CONFLICTS.has(cause?.originalCode ?? '');
}
