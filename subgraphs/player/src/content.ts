import { badUserInput, notFound } from '@rgb/contracts';
import { type ContentEntry, type ContentKind, type ContentStatus, Prisma, type PrismaClient } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { NEWEST_FIRST, paginate, type BrandRef, type Connection, isUuid } from '@rgb/kit';
import { z } from 'zod';
import type { CreateContentEntryInput, UpdateContentEntryInput } from './generated/resolvers-types';
import { canonicalLocale, fallbackChain, localeProblem, parseLocale } from './locales';

export type ContentEntryRow = ContentEntry;
export type ContentEntryPage = Connection<ContentEntry>;

const TITLE_MAX = 200;
const BODY_MAX = 20_000;
const CATEGORY_MAX = 64;
const POSITION_MAX = 1_000_000;
/** The most entries a public read answers: what one page of a site shows, not an archive. */
export const PUBLIC_LIST_MAX = 100;

/** What staff write of an entry, besides its kind: checked as a whole, on creation and after each update. */
interface ContentFields {
  locale: string;
  title: string;
  body: string;
  category: string | null;
  position: number;
  pinned: boolean;
  publishFrom: Date | null;
  publishUntil: Date | null;
}

/** The same fields as they arrive (instants as RFC 3339 text), before they are checked. */
type ContentDraft = { [K in keyof ContentFields]: K extends 'publishFrom' | 'publishUntil' ? string | null : ContentFields[K] };

const rfc3339 = z.iso.datetime({ offset: true });

function instant(value: string | null, name: string, problems: string[]): Date | null {
  if (value === null) return null;
  if (!rfc3339.safeParse(value).success) {
    problems.push(`${name} must be an RFC 3339 instant with its offset`);
    return null;
  }
  return new Date(value);
}

function text(value: string, name: string, max: number, problems: string[]): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > max) problems.push(`${name} must be 1 to ${max} characters`);
  return trimmed;
}

/** The fields of an entry of `kind`, checked; one BAD_USER_INPUT naming every problem. */
function checkedFields(kind: ContentKind, draft: ContentDraft): ContentFields {
  const problems: string[] = [];
  const locale = canonicalLocale(draft.locale);
  if (!locale) problems.push(localeProblem(draft.locale));
  const title = text(draft.title, 'title', TITLE_MAX, problems);
  const body = text(draft.body, 'body', BODY_MAX, problems);
  const category = draft.category === null ? null : text(draft.category, 'category', CATEGORY_MAX, problems);
  if (category !== null && kind !== 'FAQ') problems.push('only FAQ entries carry a category');
  if (!Number.isInteger(draft.position) || draft.position < 0 || draft.position > POSITION_MAX) problems.push(`position must be 0 to ${POSITION_MAX}`);
  const publishFrom = instant(draft.publishFrom, 'publishFrom', problems);
  const publishUntil = instant(draft.publishUntil, 'publishUntil', problems);
  if (kind !== 'NOTICE' && (draft.pinned || draft.publishFrom !== null || draft.publishUntil !== null)) {
    problems.push('only notices are pinned or carry publishFrom and publishUntil');
  }
  if (publishFrom && publishUntil && publishFrom >= publishUntil) problems.push('publishUntil must be after publishFrom');
  if (problems.length > 0) throw badUserInput(problems.join('; '));
  return { locale: locale as string, title, body, category, position: draft.position, pinned: draft.pinned, publishFrom, publishUntil };
}

/** What the audit log keeps of an entry. */
const snapshot = (entry: ContentFields & { kind: ContentKind; status: ContentStatus }) => ({
  kind: entry.kind,
  locale: entry.locale,
  title: entry.title,
  body: entry.body,
  category: entry.category,
  position: entry.position,
  status: entry.status,
  pinned: entry.pinned,
  publish_from: entry.publishFrom?.toISOString() ?? null,
  publish_until: entry.publishUntil?.toISOString() ?? null,
});
type Snapshot = ReturnType<typeof snapshot>;

const CONTENT_TARGET = { target_type: 'content_entry' } as const;

/** Writes an entry of the brand as a DRAFT, audited in the same transaction. */
export async function createContentEntry(prisma: PrismaClient, brand: BrandRef, input: CreateContentEntryInput, actor: StaffActor): Promise<ContentEntry> {
  const fields = checkedFields(input.kind, {
    locale: input.locale,
    title: input.title,
    body: input.body,
    category: input.category ?? null,
    position: input.position ?? 0,
    pinned: input.pinned ?? false,
    publishFrom: input.publishFrom ?? null,
    publishUntil: input.publishUntil ?? null,
  });
  return outboxTransaction(prisma, async (tx) => {
    const entry = await tx.contentEntry.create({ data: { brandId: brand.id, kind: input.kind, ...fields } });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, { ...CONTENT_TARGET, action: 'content_entry.create', target_id: entry.id, before: null, after: snapshot(entry) });
    return entry;
  });
}

/** The entry of the brand, its row locked until the change commits, so the audit's "before" is what the change replaced. */
async function lockedEntry(tx: Prisma.TransactionClient, brand: BrandRef, id: string): Promise<ContentEntry> {
  if (!isUuid(id)) throw notFound('no such content entry');
  await tx.$queryRaw`SELECT 1 FROM player.content_entry WHERE id = ${id}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
  const entry = await tx.contentEntry.findFirst({ where: { id, brandId: brand.id } });
  if (!entry) throw notFound('no such content entry');
  return entry;
}

/** The keys whose values differ between two snapshots. */
const changedKeys = (before: Snapshot, after: Snapshot) => (Object.keys(before) as (keyof Snapshot)[]).filter((key) => before[key] !== after[key]);
const pick = (from: Snapshot, keys: (keyof Snapshot)[]) => Object.fromEntries(keys.map((key) => [key, from[key]]));

/**
 * Changes an entry of the brand as `change` says, with its STAFF_ACTION_RECORDED (the fields that
 * changed, before and after) in the same transaction. A change that leaves every field as it was
 * answers the entry and writes nothing, so a retry is not audited twice.
 */
async function changeEntry(
  prisma: PrismaClient,
  brand: BrandRef,
  id: string,
  actor: StaffActor,
  action: string,
  change: (entry: ContentEntry) => Partial<ContentFields> & { status?: ContentStatus },
): Promise<ContentEntry> {
  return outboxTransaction(prisma, async (tx) => {
    const entry = await lockedEntry(tx, brand, id);
    const data = change(entry);
    const before = snapshot(entry);
    const changed = changedKeys(before, snapshot({ ...entry, ...data }));
    if (changed.length === 0) return entry;
    const updated = await tx.contentEntry.update({ where: { id: entry.id }, data });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, {
      ...CONTENT_TARGET,
      action,
      target_id: entry.id,
      before: pick(before, changed),
      after: pick(snapshot(updated), changed),
    });
    return updated;
  });
}

/** Changes the fields given (null clears category and the window); the result is checked as a whole, as on creation. */
export function updateContentEntry(prisma: PrismaClient, brand: BrandRef, id: string, input: UpdateContentEntryInput, actor: StaffActor): Promise<ContentEntry> {
  const cleared = (['locale', 'title', 'body', 'position', 'pinned'] as const).filter((name) => input[name] === null);
  if (cleared.length > 0) throw badUserInput(`${cleared.join(', ')} cannot be null`);
  return changeEntry(prisma, brand, id, actor, 'content_entry.update', (entry) =>
    checkedFields(entry.kind, {
      locale: input.locale ?? entry.locale,
      title: input.title ?? entry.title,
      body: input.body ?? entry.body,
      category: input.category === undefined ? entry.category : input.category,
      position: input.position ?? entry.position,
      pinned: input.pinned ?? entry.pinned,
      publishFrom: input.publishFrom === undefined ? (entry.publishFrom?.toISOString() ?? null) : input.publishFrom,
      publishUntil: input.publishUntil === undefined ? (entry.publishUntil?.toISOString() ?? null) : input.publishUntil,
    }),
  );
}

export function setContentStatus(prisma: PrismaClient, brand: BrandRef, id: string, status: ContentStatus, actor: StaffActor): Promise<ContentEntry> {
  return changeEntry(prisma, brand, id, actor, status === 'PUBLISHED' ? 'content_entry.publish' : 'content_entry.unpublish', () => ({ status }));
}

/** Deletes an entry of the brand; the audit keeps all it was. */
export async function deleteContentEntry(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<true> {
  await outboxTransaction(prisma, async (tx) => {
    const entry = await lockedEntry(tx, brand, id);
    await tx.contentEntry.delete({ where: { id: entry.id } });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, { ...CONTENT_TARGET, action: 'content_entry.delete', target_id: entry.id, before: snapshot(entry), after: null });
  });
  return true;
}

/** The brand's entries for staff, drafts included, newest first. */
export function listContentEntries(
  prisma: PrismaClient,
  brand: BrandRef,
  { kind, locale, status, first, after }: { kind?: ContentKind | null; locale?: string | null; status?: ContentStatus | null; first?: number | null; after?: string | null },
): Promise<ContentEntryPage> {
  const where: Prisma.ContentEntryWhereInput = {
    brandId: brand.id,
    ...(kind ? { kind } : {}),
    ...(locale === null || locale === undefined ? {} : { locale: parseLocale(locale) }),
    ...(status ? { status } : {}),
  };
  return paginate(
    { first, after },
    (position, take) => prisma.contentEntry.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
    () => prisma.contentEntry.count({ where }),
  );
}

const ENTRY_COLUMNS = Prisma.sql`id::text AS id, brand_id::text AS "brandId", kind::text AS kind, locale, title, body, category, position,
  status::text AS status, pinned, publish_from AS "publishFrom", publish_until AS "publishUntil", created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * The brand's published entries of `kind` the public sees now, in one statement: those of the
 * first locale of `locale`'s fallback chain that has any (a list is never a mix of locales),
 * notices only within their window; pinned first, then by position, newest first.
 */
export function publishedContent(prisma: PrismaClient, brand: BrandRef, kind: ContentKind, locale: string): Promise<ContentEntry[]> {
  const chain = fallbackChain(parseLocale(locale));
  return prisma.$queryRaw<ContentEntry[]>`
    WITH visible AS (
      SELECT ${ENTRY_COLUMNS} FROM player.content_entry
      WHERE brand_id = ${brand.id}::uuid AND kind = ${kind}::player."ContentKind" AND status = 'PUBLISHED'
        AND locale = ANY(${chain}::text[])
        AND (publish_from IS NULL OR publish_from <= now()) AND (publish_until IS NULL OR publish_until > now())
    )
    SELECT * FROM visible
    WHERE locale = (SELECT locale FROM visible ORDER BY array_position(${chain}::text[], locale) LIMIT 1)
    ORDER BY pinned DESC, position, "createdAt" DESC, id DESC
    LIMIT ${PUBLIC_LIST_MAX}`;
}
