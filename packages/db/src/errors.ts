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
