import { badUserInput } from '@rgb/contracts';

/**
 * The locale every fallback chain ends in. The brand catalogue carries no default locale, so
 * every brand falls back to the platform's: English.
 */
export const FALLBACK_LOCALE = 'en';

/** A language with an optional script and region (`en`, `ko-KR`, `zh-Hant-TW`), in canonical case. */
const SUPPORTED_SHAPE = /^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?$/;
const LOCALE_MAX = 35;

/** `locale` canonicalised by Intl (`ko-kr` → `ko-KR`), or undefined when it is not a tag of the supported shape. */
export function canonicalLocale(locale: string): string | undefined {
  if (locale.length > LOCALE_MAX) return undefined;
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(locale);
  } catch (error) {
    // Intl's verdict on a malformed tag: what this function answers with undefined.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  return canonical && SUPPORTED_SHAPE.test(canonical) ? canonical : undefined;
}

export const localeProblem = (locale: string) => `locale ${JSON.stringify(locale)} is not a BCP 47 tag such as en, ko-KR or zh-Hant-TW`;

/** `locale` in canonical case; BAD_USER_INPUT when it is not a supported tag. */
export function parseLocale(locale: string): string {
  const canonical = canonicalLocale(locale);
  if (!canonical) throw badUserInput(localeProblem(locale));
  return canonical;
}

/**
 * Where a read looks, in order: the (canonical) locale, each shorter prefix of it
 * (`zh-Hant-TW`, `zh-Hant`, `zh`), then FALLBACK_LOCALE.
 */
export function fallbackChain(locale: string): string[] {
  const subtags = locale.split('-');
  const prefixes = subtags.map((_, dropped) => subtags.slice(0, subtags.length - dropped).join('-'));
  return [...new Set([...prefixes, FALLBACK_LOCALE])];
}
