import { UNKNOWN_USER_PASSWORD_HASH, verifyPassword, type AuthTokens, type SessionManager } from '@rgb/auth';
import { forbidden, unauthenticated } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';

async function mayActOnBrand(prisma: PrismaClient, staffId: string, brandId: string): Promise<boolean> {
  const staff = await prisma.staff.findUnique({
    where: { id: staffId },
    select: { status: true, allBrands: true, brands: { where: { brandId }, select: { brandId: true } } },
  });
  return staff?.status === 'ACTIVE' && (staff.allBrands || staff.brands.length > 0);
}

/**
 * Whether a staff member may change what every brand shares (the game catalogue, provider
 * integrations): active, with access to every brand. Asked by other domains through
 * `/internal/staff/:id/platform-access`.
 */
export async function hasPlatformAccess(prisma: PrismaClient, staffId: string): Promise<boolean> {
  const staff = await prisma.staff.findUnique({ where: { id: staffId }, select: { status: true, allBrands: true } });
  return staff?.status === 'ACTIVE' && staff.allBrands;
}

/** Staff tokens are bound to the brand they logged in on, like every other token (ADR-009). */
export async function staffLogin(
  prisma: PrismaClient,
  sessions: SessionManager,
  brandId: string,
  username: string,
  password: string,
): Promise<AuthTokens> {
  const staff = await prisma.staff.findUnique({ where: { username: username.trim().toLowerCase() } });
  const valid = await verifyPassword(password, staff?.passwordHash ?? UNKNOWN_USER_PASSWORD_HASH);
  if (!staff || !valid) throw unauthenticated('invalid username or password');
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
