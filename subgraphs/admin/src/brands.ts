import type { Brand, BrandDomain, PrismaClient } from '@rgb/db';
import type { CatalogBrand } from '@rgb/kit';

export type BrandRecord = Brand & { domains: BrandDomain[] };

/** The catalogue the router and services cache: every brand with its domains. */
export async function brandCatalog(prisma: PrismaClient): Promise<CatalogBrand[]> {
  const brands = await prisma.brand.findMany({ include: { domains: true }, orderBy: { code: 'asc' } });
  return brands.map((brand) => ({
    id: brand.id,
    code: brand.code,
    name: brand.name,
    currency: brand.currency,
    timezone: brand.timezone,
    status: brand.status,
    domains: brand.domains.map((domain) => domain.host),
  }));
}

/** Brands a staff member may act on. */
export async function brandsOfStaff(prisma: PrismaClient, staffId: string): Promise<BrandRecord[]> {
  const staff = await prisma.staff.findUnique({ where: { id: staffId }, select: { allBrands: true } });
  if (!staff) return [];
  return prisma.brand.findMany({
    where: staff.allBrands ? {} : { staff: { some: { staffId } } },
    include: { domains: true },
    orderBy: { code: 'asc' },
  });
}
