import { badUserInput, conflict } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { fallbackChain, parseLocale } from './locales';

const NAMESPACE = /^[a-z][a-z0-9_-]{0,63}$/;
const KEY = /^[A-Za-z0-9_.-]{1,128}$/;
const VALUE_MAX = 5000;

/** A translated string as the API answers it. */
export interface TranslatedString {
  namespace: string;
  key: string;
  locale: string;
  value: string;
  platformDefault: boolean;
}

/** Which stored string: its name and locale, and whose (the brand's, or null: the platform default). */
interface StringRef {
  namespace: string;
  key: string;
  locale: string;
  brandId: string | null;
}

function checkNamespace(namespace: string): string {
  if (!NAMESPACE.test(namespace)) throw badUserInput('namespace must be 1 to 64 of a-z, 0-9, _ and -, starting with a letter');
  return namespace;
}

/** The string `input` names, checked; BAD_USER_INPUT naming what is wrong. */
function stringRef(brand: BrandRef, input: { namespace: string; key: string; locale: string; platformDefault?: boolean | null }): StringRef {
  checkNamespace(input.namespace);
  if (!KEY.test(input.key)) throw badUserInput('key must be 1 to 128 of letters, digits, _, - and .');
  return { namespace: input.namespace, key: input.key, locale: parseLocale(input.locale), brandId: input.platformDefault ? null : brand.id };
}

/**
 * Every string of `namespace` for the brand in `locale`, in one statement: per key, the first of
 * the brand's and then the platform's value in each locale of the fallback chain (`ko-KR`, `ko`, `en`).
 */
export function resolveTranslations(prisma: PrismaClient, brand: BrandRef, locale: string, namespace: string): Promise<TranslatedString[]> {
  const chain = fallbackChain(parseLocale(locale));
  return prisma.$queryRaw<TranslatedString[]>`
    SELECT DISTINCT ON (key) namespace, key, locale, value, brand_id IS NULL AS "platformDefault"
    FROM player.translation
    WHERE namespace = ${checkNamespace(namespace)} AND locale = ANY(${chain}::text[]) AND (brand_id = ${brand.id}::uuid OR brand_id IS NULL)
    ORDER BY key, array_position(${chain}::text[], locale), brand_id NULLS LAST`;
}

/** The strings stored for `namespace` in `locale`, the brand's and the platform's, by key (the brand's first): what staff edit. */
export async function storedTranslations(prisma: PrismaClient, brand: BrandRef, namespace: string, locale: string): Promise<TranslatedString[]> {
  const rows = await prisma.translation.findMany({
    where: { namespace: checkNamespace(namespace), locale: parseLocale(locale), OR: [{ brandId: brand.id }, { brandId: null }] },
    orderBy: [{ key: 'asc' }, { brandId: { sort: 'asc', nulls: 'last' } }],
  });
  return rows.map(({ namespace, key, locale, value, brandId }) => ({ namespace, key, locale, value, platformDefault: brandId === null }));
}

/** The stored string's row, locked until the transaction ends; undefined when there is none. */
async function lockedString(tx: Prisma.TransactionClient, ref: StringRef): Promise<{ id: string; value: string } | undefined> {
  const [row] = await tx.$queryRaw<{ id: string; value: string }[]>`
    SELECT id::text AS id, value FROM player.translation
    WHERE namespace = ${ref.namespace} AND locale = ${ref.locale} AND key = ${ref.key} AND brand_id IS NOT DISTINCT FROM ${ref.brandId}::uuid
    FOR UPDATE`;
  return row;
}

/** How a string's change is audited: the platform defaults under a target type of their own, since they serve every brand. */
const audited = (ref: StringRef) => ({
  target_type: ref.brandId === null ? 'platform_translation' : 'translation',
  target_id: `${ref.namespace}.${ref.key}@${ref.locale}`,
});

const answer = (ref: StringRef, value: string): TranslatedString => ({
  namespace: ref.namespace,
  key: ref.key,
  locale: ref.locale,
  value,
  platformDefault: ref.brandId === null,
});

/**
 * Sets the string (the brand's, or the platform default), audited in the same transaction with
 * the value it replaced; setting the value it holds writes nothing. Two requests creating the
 * same string at once: the second finds the first's row and changes it, so each audit names
 * what it replaced.
 */
export async function setTranslation(
  prisma: PrismaClient,
  brand: BrandRef,
  input: { namespace: string; key: string; locale: string; value: string; platformDefault?: boolean | null },
  actor: StaffActor,
): Promise<TranslatedString> {
  const ref = stringRef(brand, input);
  const { value } = input;
  if (value.length < 1 || value.length > VALUE_MAX) throw badUserInput(`value must be 1 to ${VALUE_MAX} characters`);
  return outboxTransaction(prisma, async (tx) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await lockedString(tx, ref);
      if (existing?.value === value) return answer(ref, value);
      if (existing) {
        await tx.translation.update({ where: { id: existing.id }, data: { value } });
      } else {
        const { count } = await tx.translation.createMany({ data: [{ ...ref, value }], skipDuplicates: true });
        // Another request created this string since the look-up, and committed: look again and change that row.
        if (count === 0) continue;
      }
      await recordStaffAction(tx, 'player.outbox', brand.id, actor, {
        ...audited(ref),
        action: 'translation.set',
        before: existing ? { value: existing.value } : null,
        after: { value },
      });
      return answer(ref, value);
    }
    throw conflict('this string is being changed by another request; try again');
  });
}

/** Deletes the string (the brand's, or the platform default), audited with its value; false, and nothing written, when there is none. */
export async function deleteTranslation(
  prisma: PrismaClient,
  brand: BrandRef,
  input: { namespace: string; key: string; locale: string; platformDefault?: boolean | null },
  actor: StaffActor,
): Promise<boolean> {
  const ref = stringRef(brand, input);
  return outboxTransaction(prisma, async (tx) => {
    const existing = await lockedString(tx, ref);
    if (!existing) return false;
    await tx.translation.delete({ where: { id: existing.id } });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, { ...audited(ref), action: 'translation.delete', before: { value: existing.value }, after: null });
    return true;
  });
}
