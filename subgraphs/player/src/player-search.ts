import { badUserInput } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import { NEWEST_FIRST, paginate, parseInstant, type BrandRef, type Connection } from '@rgb/kit';
import type { PlayerSearchFilter } from './generated/resolvers-types';
import type { PlayerRecord } from './players';

export type PlayerPage = Connection<PlayerRecord>;

/** The text is looked for through trigram indexes: shorter than a trigram, it would read every player of the brand. */
const TEXT_MIN = 3;
const TEXT_MAX = 50;

/** Prisma passes `contains` to ILIKE as it is: `%`, `_` and `\` are escaped so the text matches only itself. */
const literally = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** The filter as a Prisma `where` of the brand's players; bad text or instants are BAD_USER_INPUT. */
function searchWhere(brand: BrandRef, filter: PlayerSearchFilter | null | undefined): Prisma.PlayerWhereInput {
  const text = filter?.text?.trim();
  if (text !== undefined && (text.length < TEXT_MIN || text.length > TEXT_MAX)) throw badUserInput(`text must be ${TEXT_MIN} to ${TEXT_MAX} characters`);
  const from = parseInstant(filter?.registeredFrom, 'registeredFrom');
  const to = parseInstant(filter?.registeredTo, 'registeredTo');
  const contains = text && { contains: literally(text), mode: 'insensitive' as const };
  return {
    brandId: brand.id,
    ...(contains ? { OR: [{ username: contains }, { nickname: contains }] } : {}),
    ...(filter?.status ? { status: filter.status } : {}),
    ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}),
  };
}

/** One page of the brand's players matching `filter`, newest first, with the count of every match. */
export function searchPlayers(
  prisma: PrismaClient,
  brand: BrandRef,
  filter: PlayerSearchFilter | null | undefined,
  page: { first?: number | null; after?: string | null },
): Promise<PlayerPage> {
  const where = searchWhere(brand, filter);
  return paginate(
    page,
    (position, take) => prisma.player.findMany({ where: { AND: [where, position] }, orderBy: NEWEST_FIRST, take }),
    () => prisma.player.count({ where }),
  );
}
