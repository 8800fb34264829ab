import { badUserInput } from '@rgb/contracts';

/** A position in a list ordered newest first: (created_at, id) of the last item seen. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor({ createdAt, id }: Cursor): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw badUserInput('invalid cursor');
  }
}

/** An RFC 3339 instant given as the filter `name`; undefined when absent, BAD_USER_INPUT when not one. */
export function parseInstant(value: string | null | undefined, name: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) throw badUserInput(`${name} must be an RFC 3339 instant`);
  return date;
}

/** `first` within 1..100 (20 when absent). */
export function pageSize(first: number | null | undefined, { fallback = 20, max = 100 } = {}): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badUserInput(`first must be between 1 and ${max}`);
  return first;
}

/** The most rows an `offset` may skip: the database reads every row it skips. */
export const MAX_OFFSET = 10_000;

/**
 * `offset` within 0..MAX_OFFSET (0 when absent). It starts a page by position, for clients that
 * ask for numbered pages; a cursor starts one by item, so the two cannot come together.
 */
export function pageOffset(offset: number | null | undefined, after: string | null | undefined): number {
  if (offset === null || offset === undefined) return 0;
  if (after) throw badUserInput('after and offset cannot be used together');
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) throw badUserInput(`offset must be between 0 and ${MAX_OFFSET}`);
  return offset;
}

/** Which way a list runs: newest first (every list but a queue), or oldest first (a queue: who has waited longest). */
export type ListOrder = 'desc' | 'asc';

/**
 * The Prisma `where` for items after the cursor in (`field`, id) order, descending unless told,
 * and the connection built from `take + 1` rows fetched that way. The redundant `field <= cursor`
 * bound (`>=` ascending) lets PostgreSQL start an index scan at the cursor; the OR alone it can
 * only filter, reading every row before the page (a brand of 90,000 players, at row 39,000: 8.5 ms
 * without it, 0.07 ms with it).
 */
export function afterCursor<F extends string = 'createdAt'>(after: string | null | undefined, field: F = 'createdAt' as F, order: ListOrder = 'desc') {
  if (!after) return {};
  const { createdAt, id } = decodeCursor(after);
  const [bound, beyond] = order === 'desc' ? (['lte', 'lt'] as const) : (['gte', 'gt'] as const);
  return { AND: [{ [field]: { [bound]: createdAt } }, { OR: [{ [field]: { [beyond]: createdAt } }, { [field]: createdAt, id: { [beyond]: id } }] }] } as {
    AND: [{ [K in F]: { lte?: Date; gte?: Date } }, { OR: ({ [K in F]: { lt?: Date; gt?: Date } } | ({ [K in F]: Date } & { id: { lt?: string; gt?: string } }))[] }];
  };
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export function connection<T extends { id: string }>(
  rows: T[],
  take: number,
  totalCount: number,
  positionOf: (row: T) => Date = (row) => (row as unknown as Cursor).createdAt,
): Connection<T> {
  const page = rows.slice(0, take);
  const edges = page.map((node) => ({ cursor: encodeCursor({ createdAt: positionOf(node), id: node.id }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > take, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}

/** Newest first, ties broken by id: the order every paginated list uses. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/**
 * One page of a list ordered newest first (oldest first with `order` 'asc'). `fetch` receives the `where` for the rows after the
 * cursor, how many to take (one more than the page, which tells whether another follows) and how
 * many to skip (the `offset`, for a list that takes one); `count` gives the total of the whole list.
 */
export async function paginate<T extends { id: string }, F extends string = 'createdAt'>(
  { first, after, offset }: { first?: number | null; after?: string | null; offset?: number | null },
  fetch: (position: ReturnType<typeof afterCursor<F>>, take: number, skip: number) => Promise<T[]>,
  count: () => Promise<number>,
  orderedBy?: { field: F; of: (row: T) => Date },
  order: ListOrder = 'desc',
): Promise<Connection<T>> {
  const take = pageSize(first);
  const skip = pageOffset(offset, after);
  const [rows, total] = await Promise.all([fetch(afterCursor(after, orderedBy?.field, order), take + 1, skip), count()]);
  return connection(rows, take, total, orderedBy?.of);
}
