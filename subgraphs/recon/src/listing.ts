import type { Prisma, PrismaClient, ReconChannel, ReconDevice, ReconMatch, ReconMatchStatus, ReconMessage, ReconMessageStatus, ReconPattern } from '@rgb/db';
import { type Connection, NEWEST_FIRST, paginate } from '@rgb/kit';

// What staff read of the brand's texts, matches, devices and patterns: every list is of one brand only.

interface Page {
  first?: number | null;
  after?: string | null;
}

/** The brand's texts, newest first, of one status and channel when given. */
export function listMessages(
  prisma: PrismaClient,
  brandId: string,
  filter: { status?: ReconMessageStatus | null; channel?: ReconChannel | null },
  page: Page,
): Promise<Connection<ReconMessage>> {
  const where: Prisma.ReconMessageWhereInput = { brandId, ...(filter.status ? { status: filter.status } : {}), ...(filter.channel ? { channel: filter.channel } : {}) };
  return paginate(
    page,
    (position, take) => prisma.reconMessage.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
    () => prisma.reconMessage.count({ where }),
  );
}

/** The brand's texts waiting for staff, oldest first: the one waiting longest comes first. */
export function reviewQueue(prisma: PrismaClient, brandId: string, page: Page): Promise<Connection<ReconMessage>> {
  const where: Prisma.ReconMessageWhereInput = { brandId, status: 'REVIEW' };
  return paginate(
    page,
    (position, take) => prisma.reconMessage.findMany({ where: { ...where, ...position }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take }),
    () => prisma.reconMessage.count({ where }),
    undefined,
    'asc',
  );
}

/** The brand's matches, newest first, of one status when given. */
export function listMatches(prisma: PrismaClient, brandId: string, status: ReconMatchStatus | null | undefined, page: Page): Promise<Connection<ReconMatch>> {
  const where: Prisma.ReconMatchWhereInput = { brandId, ...(status ? { status } : {}) };
  return paginate(
    page,
    (position, take) => prisma.reconMatch.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
    () => prisma.reconMatch.count({ where }),
  );
}

/** The brand's devices and Telegram chats, in the order they were registered. */
export function listDevices(prisma: PrismaClient, brandId: string): Promise<ReconDevice[]> {
  return prisma.reconDevice.findMany({ where: { brandId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/** The brand's own patterns, by bank. */
export function listPatterns(prisma: PrismaClient, brandId: string): Promise<ReconPattern[]> {
  return prisma.reconPattern.findMany({ where: { brandId }, orderBy: { bank: 'asc' } });
}
