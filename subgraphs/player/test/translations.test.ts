import { randomUUID } from 'node:crypto';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, signedIn, staffWith, type SeededTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staffActions, startPlayerSubgraph } from './helpers';

/**
 * Translated strings: the public read's fallback order, case by case, and staff setting and
 * deleting a brand's strings and the platform defaults (validated, audited, who may).
 */
let server: SeededTestSubgraph;
let demo: BrandRef;
let acme: BrandRef;
const translatorId = randomUUID();
beforeAll(async () => {
  server = await startPlayerSubgraph();
  ({ demo, acme } = server.brands);
});
afterAll(() => server?.close());
beforeEach(async () => {
  await server.deps.prisma.translation.deleteMany();
});

/** A translator of `brand`; with `allBrands`, one who may change the platform defaults too. */
const translator = (brand = demo, { allBrands = false } = {}) => staffWith(brand, translatorId, ['i18n.manage'], { allBrands });
const platformTranslator = () => translator(demo, { allBrands: true });

const STRING = 'namespace key locale value platformDefault';
const SET = `mutation ($input: SetTranslationInput!) { setTranslation(input: $input) { ${STRING} } }`;
const DELETE = 'mutation ($input: TranslationKeyInput!) { deleteTranslation(input: $input) }';
const TRANSLATIONS = `query ($locale: String!, $namespace: String!) { translations(locale: $locale, namespace: $namespace) { ${STRING} } }`;
const STORED = `query ($namespace: String!, $locale: String!) { translationStrings(namespace: $namespace, locale: $locale) { ${STRING} } }`;

async function ok<T = Record<string, any>>(query: string, variables: Record<string, unknown>, context: ForwardedContext): Promise<T> {
  const response = await server.graphql<T>(query, variables, context);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

/** Sets `key` of namespace `common` in `locale`: the brand's string, or the platform default. */
async function set(key: string, locale: string, value: string, { platformDefault = false, brand = demo } = {}) {
  await ok(SET, { input: { namespace: 'common', key, locale, value, platformDefault } }, platformDefault ? platformTranslator() : translator(brand));
}

/** The resolved strings of a public read, as `key: value (locale, brand|platform)`. */
async function resolved(locale: string, { namespace = 'common', brand = demo } = {}): Promise<Record<string, string>> {
  const { translations } = await ok<{ translations: { key: string; value: string; locale: string; platformDefault: boolean }[] }>(
    TRANSLATIONS,
    { locale, namespace },
    anonymous(brand),
  );
  return Object.fromEntries(translations.map(({ key, value, locale: from, platformDefault }) => [key, `${value} (${from}, ${platformDefault ? 'platform' : 'brand'})`]));
}

async function writes() {
  const { prisma } = server.deps;
  return { strings: await prisma.translation.findMany({ orderBy: { id: 'asc' } }), outbox: await prisma.playerOutbox.count() };
}

describe('translations (public)', () => {
  it('resolve each key to the first of: brand+locale, platform+locale, brand+language, platform+language, brand+en, platform+en', async () => {
    const everywhere = [
      ['ko-KR', false],
      ['ko-KR', true],
      ['ko', false],
      ['ko', true],
      ['en', false],
      ['en', true],
    ] as const;
    // Key k<n> has the values from the n-th candidate on: so each key shows which candidate wins when those before it are missing.
    for (let n = 0; n < everywhere.length; n++) {
      for (const [locale, platformDefault] of everywhere.slice(n)) {
        await set(`k${n}`, locale, `${platformDefault ? 'platform' : 'demo'} ${locale}`, { platformDefault });
      }
    }
    expect(await resolved('ko-KR')).toEqual({
      k0: 'demo ko-KR (ko-KR, brand)',
      k1: 'platform ko-KR (ko-KR, platform)',
      k2: 'demo ko (ko, brand)',
      k3: 'platform ko (ko, platform)',
      k4: 'demo en (en, brand)',
      k5: 'platform en (en, platform)',
    });
    expect(await resolved('ko')).toEqual({
      k0: 'demo ko (ko, brand)',
      k1: 'demo ko (ko, brand)',
      k2: 'demo ko (ko, brand)',
      k3: 'platform ko (ko, platform)',
      k4: 'demo en (en, brand)',
      k5: 'platform en (en, platform)',
    });
    const english = { k0: 'demo en (en, brand)', k1: 'demo en (en, brand)', k2: 'demo en (en, brand)', k3: 'demo en (en, brand)', k4: 'demo en (en, brand)', k5: 'platform en (en, platform)' };
    expect(await resolved('en')).toEqual(english);
    expect(await resolved('ja')).toEqual(english);
    // Another brand has none of demo's strings: the platform's only.
    expect(await resolved('ko-KR', { brand: acme })).toEqual({
      k0: 'platform ko-KR (ko-KR, platform)',
      k1: 'platform ko-KR (ko-KR, platform)',
      k2: 'platform ko (ko, platform)',
      k3: 'platform ko (ko, platform)',
      k4: 'platform en (en, platform)',
      k5: 'platform en (en, platform)',
    });
  });

  it("leave out what is in no locale of the chain, another brand's strings, and other namespaces", async () => {
    await set('shown', 'en', 'Shown', { platformDefault: true });
    await set('japanese', 'ja', 'Japanese', { platformDefault: true });
    await set('acme_only', 'ko', 'Acme', { brand: acme });
    await ok(SET, { input: { namespace: 'lobby', key: 'shown', locale: 'ko', value: 'Lobby' } }, translator());
    expect(await resolved('ko')).toEqual({ shown: 'Shown (en, platform)' });
    expect(await resolved('ko', { brand: acme })).toEqual({ shown: 'Shown (en, platform)', acme_only: 'Acme (ko, brand)' });
  });

  it('look in each shorter prefix of the locale: zh-Hant-TW, zh-Hant, zh, en', async () => {
    await set('a', 'zh-Hant', '繁體');
    await set('b', 'zh', '中文');
    await set('c', 'en', 'English');
    expect(await resolved('zh-hant-tw')).toEqual({ a: '繁體 (zh-Hant, brand)', b: '中文 (zh, brand)', c: 'English (en, brand)' });
    expect(await resolved('zh-Hans')).toEqual({ b: '中文 (zh, brand)', c: 'English (en, brand)' });
  });

  it('are one statement, and refuse a bad locale or namespace with BAD_USER_INPUT', async () => {
    server.operations.length = 0;
    await resolved('ko-KR');
    expect(server.operations).toEqual(['$queryRaw']);
    expect(firstError(await server.graphql(TRANSLATIONS, { locale: 'ko_KR', namespace: 'common' }, anonymous(demo)))?.code).toBe('BAD_USER_INPUT');
    expect(firstError(await server.graphql(TRANSLATIONS, { locale: 'ko', namespace: 'Common' }, anonymous(demo)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'namespace must be 1 to 64 of a-z, 0-9, _ and -, starting with a letter',
    });
  });
});

describe('staff setting strings', () => {
  it('sets, changes and deletes a brand string, each audited once with what it replaced', async () => {
    const input = { namespace: 'common', key: 'button.submit', locale: 'ko-kr' };
    const answer = await ok(SET, { input: { ...input, value: '제출' } }, translator());
    expect(answer.setTranslation).toEqual({ namespace: 'common', key: 'button.submit', locale: 'ko-KR', value: '제출', platformDefault: false });
    await ok(SET, { input: { ...input, value: '제출' } }, translator());
    await ok(SET, { input: { ...input, value: ' 보내기 ' } }, translator());
    expect(await resolved('ko-KR')).toEqual({ 'button.submit': ' 보내기  (ko-KR, brand)' });
    expect(await ok(DELETE, { input }, translator())).toEqual({ deleteTranslation: true });
    expect(await ok(DELETE, { input }, translator())).toEqual({ deleteTranslation: false });
    expect(await resolved('ko-KR')).toEqual({});

    const by = { staff_id: translatorId, target_type: 'translation', target_id: 'common.button.submit@ko-KR', request_id: expect.any(String) };
    expect(await staffActions(server, 'common.button.submit@ko-KR')).toEqual([
      { ...by, action: 'translation.set', before: null, after: { value: '제출' } },
      { ...by, action: 'translation.set', before: { value: '제출' }, after: { value: ' 보내기 ' } },
      { ...by, action: 'translation.delete', before: { value: ' 보내기 ' }, after: null },
    ]);
  });

  it('keeps the platform default and the brand string of a key apart, auditing the default under its own target type', async () => {
    await set('title', 'en', 'Casino', { platformDefault: true });
    await set('title', 'en', 'Demo Casino');
    await set('title', 'en', 'The Casino', { platformDefault: true });
    expect(await ok(STORED, { namespace: 'common', locale: 'en' }, translator())).toEqual({
      translationStrings: [
        { namespace: 'common', key: 'title', locale: 'en', value: 'Demo Casino', platformDefault: false },
        { namespace: 'common', key: 'title', locale: 'en', value: 'The Casino', platformDefault: true },
      ],
    });
    expect(await server.deps.prisma.translation.count()).toBe(2);
    expect((await staffActions(server, 'common.title@en')).map(({ target_type, before, after }) => ({ target_type, before, after }))).toEqual([
      { target_type: 'platform_translation', before: null, after: { value: 'Casino' } },
      { target_type: 'translation', before: null, after: { value: 'Demo Casino' } },
      { target_type: 'platform_translation', before: { value: 'Casino' }, after: { value: 'The Casino' } },
    ]);
    await ok(DELETE, { input: { namespace: 'common', key: 'title', locale: 'en', platformDefault: true } }, platformTranslator());
    expect(await resolved('en')).toEqual({ title: 'Demo Casino (en, brand)' });
    expect(await resolved('en', { brand: acme })).toEqual({});
  });

  it('writes one row when many set the same new string at once, each audit naming the value it replaced', async () => {
    const { prisma } = server.deps;
    // Inserts of the string wait a moment: every request looks for it before any has created it, so all race to insert it.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION player.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER slow_insert BEFORE INSERT ON player.translation FOR EACH ROW WHEN (NEW.key = 'raced') EXECUTE FUNCTION player.slow_insert()`);
    const values = Array.from({ length: 4 }, (_, n) => `value ${n}`);
    try {
      await Promise.all(values.map((value) => set('raced', 'en', value)));
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER slow_insert ON player.translation');
      await prisma.$executeRawUnsafe('DROP FUNCTION player.slow_insert()');
    }
    const stored = await prisma.translation.findMany({ where: { key: 'raced' } });
    expect(stored).toHaveLength(1);
    const actions = await staffActions(server, 'common.raced@en');
    // The audits chain: the first replaced nothing, each next one the value before it, the last is what is stored.
    expect(actions.map(({ before }) => before?.value ?? null)).toEqual([null, ...actions.slice(0, -1).map(({ after }) => after?.value)]);
    expect(actions.at(-1)?.after).toEqual({ value: stored[0]!.value });
    expect(actions.map(({ after }) => after?.value).sort()).toEqual(values);
  });

  it.each([
    [{ namespace: '' }, 'namespace must be 1 to 64'],
    [{ namespace: '1common' }, 'namespace must be 1 to 64'],
    [{ namespace: 'c'.repeat(65) }, 'namespace must be 1 to 64'],
    [{ key: '' }, 'key must be 1 to 128'],
    [{ key: 'has space' }, 'key must be 1 to 128'],
    [{ key: 'k'.repeat(129) }, 'key must be 1 to 128'],
    [{ locale: 'en_US' }, 'locale "en_US" is not a BCP 47 tag'],
    [{ value: '' }, 'value must be 1 to 5000 characters'],
    [{ value: 'v'.repeat(5001) }, 'value must be 1 to 5000 characters'],
  ])('refuses %o with BAD_USER_INPUT, writing nothing', async (change, problem) => {
    const before = await writes();
    const error = firstError(await server.graphql(SET, { input: { namespace: 'common', key: 'k', locale: 'en', value: 'v', ...change } }, translator()));
    expect(error).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining(problem) });
    expect(await writes()).toEqual(before);
  });
});

describe('who may', () => {
  const key = { namespace: 'common', key: 'guarded', locale: 'en' };
  const operations: [string, Record<string, unknown>][] = [
    [STORED, { namespace: 'common', locale: 'en' }],
    [SET, { input: { ...key, value: 'changed' } }],
    [SET, { input: { ...key, value: '' } }],
    [SET, { input: { ...key, value: 'changed', platformDefault: true } }],
    [DELETE, { input: key }],
    [DELETE, { input: { ...key, platformDefault: true } }],
  ];

  it('refuses anonymous callers (UNAUTHENTICATED), players, agents and staff without i18n.manage (FORBIDDEN), changing nothing', async () => {
    await set('guarded', 'en', 'kept');
    await set('guarded', 'en', 'kept', { platformDefault: true });
    const before = await writes();
    const contentEditor = staffWith(demo, randomUUID(), ['content.read', 'content.manage'], { allBrands: true });
    for (const [query, variables] of operations) {
      expect(firstError(await server.graphql(query, variables, anonymous(demo)))?.code, query).toBe('UNAUTHENTICATED');
      for (const caller of [signedIn(demo, 'player', randomUUID()), signedIn(demo, 'agent', randomUUID()), contentEditor]) {
        expect(firstError(await server.graphql(query, variables, caller)), query).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the i18n.manage permission' });
      }
    }
    expect(await writes()).toEqual(before);
  });

  it('refuses a platform default to a translator without every brand in scope, and lets them change their brand strings', async () => {
    await set('guarded', 'en', 'kept', { platformDefault: true });
    const before = await writes();
    for (const [query, variables] of operations.filter(([, variables]) => (variables.input as { platformDefault?: boolean } | undefined)?.platformDefault)) {
      expect(firstError(await server.graphql(query, variables, translator()))).toEqual({
        code: 'FORBIDDEN',
        message: 'this operation changes every brand: it needs i18n.manage with every brand in scope',
      });
    }
    expect(await writes()).toEqual(before);
    await ok(SET, { input: { ...key, value: 'brand own' } }, translator());
    expect(await resolved('en')).toEqual({ guarded: 'brand own (en, brand)' });
  });

  it("keeps another brand's translator to their brand: they neither see nor change this brand's strings", async () => {
    await set('guarded', 'en', 'demo value');
    const acmeTranslator = translator(acme);
    expect(await ok(STORED, { namespace: 'common', locale: 'en' }, acmeTranslator)).toEqual({ translationStrings: [] });
    expect(await ok(DELETE, { input: key }, acmeTranslator)).toEqual({ deleteTranslation: false });
    await ok(SET, { input: { ...key, value: 'acme value' } }, acmeTranslator);
    expect(await resolved('en')).toEqual({ guarded: 'demo value (en, brand)' });
    expect(await resolved('en', { brand: acme })).toEqual({ guarded: 'acme value (en, brand)' });
  });
});
