import type { AuthTokens, SessionManager } from '@rgb/auth';
import { forbidden, unauthenticated } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { LoginRequest } from '@rgb/kit';
import type { AdminServices } from './index';

async function mayActOnBrand(prisma: PrismaClient, staffId: string, brandId: string): Promise<boolean> {
  const staff = await prisma.staff.findUnique({
    where: { id: staffId },
    select: { status: true, allBrands: true, brands: { where: { brandId }, select: { brandId: true } } },
  });
  return staff?.status === 'ACTIVE' && (staff.allBrands || staff.brands.length > 0);
}

/**
 * Staff tokens are bound to the brand they logged in on, like every other token (ADR-009).
 * A staff member is one account on every brand: its failures count once, whatever host they come through.
 */
export async function staffLogin(
  prisma: PrismaClient,
  { sessions, loginThrottle }: AdminServices,
  brandId: string,
  request: LoginRequest,
): Promise<AuthTokens> {
  const staff = await loginThrottle.authenticate({ audience: 'staff', accountScope: 'platform', ...request }, (username) =>
    prisma.staff.findUnique({ where: { username } }),
  );
  if (!(await mayActOnBrand(prisma, staff.id, brandId))) throw forbidden('no access to this brand');
  return sessions.open(staff.id, brandId);
}

export async function refreshStaffSession(
  prisma: PrismaClient,
  sessions: SessionManager,
  brandId: string,
  refreshToken: string,
): Promise<AuthTokens> {
  const outcome = await sessions.refresh(refreshToken, brandId, (staffId, sessionBrandId) => mayActOnBrand(prisma, staffId, sessionBrandId));
  if (outcome === 'invalid') throw unauthenticated('invalid refresh token');
  if (outcome === 'refused') throw forbidden('no access to this brand');
  return outcome;
}
