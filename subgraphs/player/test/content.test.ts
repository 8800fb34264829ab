import { randomUUID } from 'node:crypto';
import type { Permission } from '@rgb/contracts';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, signedIn, staffWith, waitFor, type SeededTestSubgraph } from '@rgb/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staffActions, startPlayerSubgraph } from './helpers';

/**
 * Notices, FAQ and web rules: what the public reads (published only, notices within their window,
 * the locale's fallback), what staff write (validated, audited in the player outbox) and who may.
 */
let server: SeededTestSubgraph;
let demo: BrandRef;
let acme: BrandRef;
const editorId = randomUUID();
beforeAll(async () => {
  server = await startPlayerSubgraph();
  ({ demo, acme } = server.brands);
});
afterAll(() => server?.close());
// Every test states the content it reads: the public reads fall back to `en`, so one test's entries would show in another's.
beforeEach(async () => {
  await server.deps.prisma.contentEntry.deleteMany();
});

const EDITOR_PERMISSIONS: Permission[] = ['content.read', 'content.manage'];
const editor = (brand = demo, id = editorId) => staffWith(brand, id, EDITOR_PERMISSIONS);

const ENTRY = 'id kind locale title body category position status pinned publishFrom publishUntil createdAt updatedAt';
const CREATE = `mutation ($input: CreateContentEntryInput!) { createContentEntry(input: $input) { ${ENTRY} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateContentEntryInput!) { updateContentEntry(id: $id, input: $input) { ${ENTRY} } }`;
const PUBLISH = `mutation ($id: ID!) { publishContentEntry(id: $id) { ${ENTRY} } }`;
const UNPUBLISH = `mutation ($id: ID!) { unpublishContentEntry(id: $id) { ${ENTRY} } }`;
const DELETE = 'mutation ($id: ID!) { deleteContentEntry(id: $id) }';
const PUBLIC_FIELDS = '{ title locale }';
const NOTICES = `query ($locale: String!) { notices(locale: $locale) ${PUBLIC_FIELDS} }`;
const FAQ = `query ($locale: String!) { faq(locale: $locale) ${PUBLIC_FIELDS} }`;
const WEB_RULES = `query ($locale: String!) { webRules(locale: $locale) ${PUBLIC_FIELDS} }`;
const ENTRIES = `query ($kind: ContentKind, $locale: String, $status: ContentStatus, $first: Int, $after: String) {
  contentEntries(kind: $kind, locale: $locale, status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } }
}`;
const ENTRY_BY_ID = 'query ($id: ID!) { contentEntry(id: $id) { id title } }';

interface EntryView {
  id: string;
  kind: string;
  locale: string;
  title: string;
  body: string;
  category: string | null;
  position: number;
  status: string;
  pinned: boolean;
  publishFrom: string | null;
  publishUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The data of an answer that must have succeeded. */
async function ok<T = Record<string, any>>(query: string, variables: Record<string, unknown> | undefined, context: ForwardedContext): Promise<T> {
  const response = await server.graphql<T>(query, variables, context);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

/** An entry written through the API by the brand's editor (published unless `draft`); its id. */
async function write(input: Record<string, unknown>, { brand = demo, draft = false } = {}): Promise<string> {
  const { createContentEntry } = await ok<{ createContentEntry: EntryView }>(CREATE, { input: { kind: 'FAQ', locale: 'en', body: 'Body', ...input } }, editor(brand));
  if (!draft) await ok(PUBLISH, { id: createContentEntry.id }, editor(brand));
  return createContentEntry.id;
}

/** The titles a public read answers, with the locale they came in. */
async function read(query: string, locale: string, context: ForwardedContext = anonymous(demo)): Promise<string[]> {
  const data = await ok<Record<string, { title: string; locale: string }[]>>(query, { locale }, context);
  return Object.values(data)[0]!.map(({ title, locale: answered }) => `${title}@${answered}`);
}

const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

/** What a refused change must leave as it was: the entries and the player outbox. */
async function writes() {
  const { prisma } = server.deps;
  return { entries: await prisma.contentEntry.findMany({ orderBy: { id: 'asc' } }), outbox: await prisma.playerOutbox.count() };
}

describe('public reads', () => {
  it('answer only published entries of the brand, to anyone: anonymous, players, agents and staff', async () => {
    await write({ title: 'live' });
    await write({ title: 'draft' }, { draft: true });
    const unpublished = await write({ title: 'unpublished' });
    await ok(UNPUBLISH, { id: unpublished }, editor());
    await write({ title: 'acme' }, { brand: acme });
    const callers = [anonymous(demo), signedIn(demo, 'player', randomUUID()), signedIn(demo, 'agent', randomUUID()), staffWith(demo, randomUUID(), [])];
    for (const caller of callers) expect(await read(FAQ, 'en', caller)).toEqual(['live@en']);
    expect(await read(FAQ, 'en', anonymous(acme))).toEqual(['acme@en']);
  });

  it('answer every field of an entry as staff read it', async () => {
    const id = await write({ kind: 'NOTICE', title: 'Full', body: '# Hi', position: 7, pinned: true, publishFrom: hoursFromNow(-1), publishUntil: hoursFromNow(1) });
    const { notices } = await ok<{ notices: EntryView[] }>(`query { notices(locale: "en") { ${ENTRY} } }`, undefined, anonymous(demo));
    const { contentEntry } = await ok<{ contentEntry: EntryView }>(`query ($id: ID!) { contentEntry(id: $id) { ${ENTRY} } }`, { id }, editor());
    expect(notices).toEqual([contentEntry]);
    expect(contentEntry).toMatchObject({ kind: 'NOTICE', title: 'Full', status: 'PUBLISHED', pinned: true, publishFrom: expect.stringMatching(/Z$/) });
  });

  it('keep each kind to its own list', async () => {
    await write({ kind: 'NOTICE', title: 'notice' });
    await write({ kind: 'FAQ', title: 'faq' });
    await write({ kind: 'WEB_RULE', title: 'rule' });
    expect(await read(NOTICES, 'en')).toEqual(['notice@en']);
    expect(await read(FAQ, 'en')).toEqual(['faq@en']);
    expect(await read(WEB_RULES, 'en')).toEqual(['rule@en']);
  });

  it('show notices only within their window, pinned first, then by position, then newest first', async () => {
    const notice = (title: string, fields: Record<string, unknown> = {}, options = {}) => write({ kind: 'NOTICE', title, ...fields }, options);
    await notice('old at 1', { position: 1 });
    await notice('new at 1', { position: 1 });
    await notice('pinned at 9', { position: 9, pinned: true });
    await notice('open window at 5', { position: 5, publishFrom: hoursFromNow(-1), publishUntil: hoursFromNow(1) });
    await notice('not yet', { publishFrom: hoursFromNow(1) });
    await notice('ended', { publishUntil: hoursFromNow(-1) });
    await notice('pinned draft', { pinned: true }, { draft: true });
    expect(await read(NOTICES, 'en')).toEqual(['pinned at 9@en', 'new at 1@en', 'old at 1@en', 'open window at 5@en']);
  });

  it('judge the window when read: a notice whose window opens shows from then on, with no cache in the way', async () => {
    await write({ kind: 'NOTICE', title: 'soon', publishFrom: new Date(Date.now() + 1_500).toISOString() });
    expect(await read(NOTICES, 'en')).toEqual([]);
    await waitFor('the notice to show', async () => (await read(NOTICES, 'en')).length === 1, 5_000);
  });

  it('fall back to the first locale of the chain with a visible entry (the locale, its prefixes, then en), never mixing locales', async () => {
    await write({ title: 'en a', position: 1 });
    await write({ title: 'en b', position: 2 });
    await write({ title: 'ko', locale: 'ko' });
    await write({ title: 'ko-KR draft', locale: 'ko-KR' }, { draft: true });
    await write({ title: 'zh-Hant', locale: 'zh-Hant' });
    await write({ title: 'acme ja', locale: 'ja' }, { brand: acme });
    expect(await read(FAQ, 'ko-KR')).toEqual(['ko@ko']);
    expect(await read(FAQ, 'KO-kr')).toEqual(['ko@ko']);
    expect(await read(FAQ, 'ko')).toEqual(['ko@ko']);
    expect(await read(FAQ, 'zh-Hant-TW')).toEqual(['zh-Hant@zh-Hant']);
    expect(await read(FAQ, 'zh')).toEqual(['en a@en', 'en b@en']);
    expect(await read(FAQ, 'ja')).toEqual(['en a@en', 'en b@en']);
    expect(await read(FAQ, 'en-GB')).toEqual(['en a@en', 'en b@en']);
    expect(await read(WEB_RULES, 'ko')).toEqual([]);
  });

  it('fall back past a locale whose notices are all outside their window', async () => {
    await write({ kind: 'NOTICE', title: 'ko ended', locale: 'ko', publishUntil: hoursFromNow(-1) });
    await write({ kind: 'NOTICE', title: 'en live' });
    expect(await read(NOTICES, 'ko')).toEqual(['en live@en']);
  });

  it('answer the first 100 entries in one statement', async () => {
    await server.deps.prisma.contentEntry.createMany({
      data: Array.from({ length: 101 }, (_, position) => ({ brandId: demo.id, kind: 'FAQ' as const, locale: 'en', title: `q${position}`, body: 'a', position, status: 'PUBLISHED' as const })),
    });
    server.operations.length = 0;
    const titles = await read(FAQ, 'en');
    expect(titles).toHaveLength(100);
    expect(titles.at(-1)).toBe('q99@en');
    expect(server.operations).toEqual(['$queryRaw']);
  });

  it.each(['en_US', '', 'english', 'en-US-x-private', 'ko-KR-u-ca-dangi', `en-${'a'.repeat(40)}`])('refuse the locale %j with BAD_USER_INPUT', async (locale) => {
    expect(firstError(await server.graphql(NOTICES, { locale }, anonymous(demo)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: `locale ${JSON.stringify(locale)} is not a BCP 47 tag such as en, ko-KR or zh-Hant-TW`,
    });
  });
});

describe('staff writing content', () => {
  it('creates a DRAFT (locale canonical, text trimmed) the public sees once published; each change is audited once', async () => {
    const { createContentEntry: created } = await ok<{ createContentEntry: EntryView }>(
      CREATE,
      { input: { kind: 'FAQ', locale: 'ko-kr', title: '  Deposits? ', body: ' **Yes.** ', category: ' Payments ', position: 3 } },
      editor(),
    );
    expect(created).toMatchObject({ kind: 'FAQ', locale: 'ko-KR', title: 'Deposits?', body: '**Yes.**', category: 'Payments', position: 3, status: 'DRAFT', pinned: false, publishFrom: null, publishUntil: null });
    expect(await read(FAQ, 'ko-KR')).toEqual([]);

    expect((await ok(PUBLISH, { id: created.id }, editor())).publishContentEntry.status).toBe('PUBLISHED');
    expect((await ok(PUBLISH, { id: created.id }, editor())).publishContentEntry.status).toBe('PUBLISHED');
    expect(await read(FAQ, 'ko-KR')).toEqual(['Deposits?@ko-KR']);
    expect((await ok(UNPUBLISH, { id: created.id }, editor())).unpublishContentEntry.status).toBe('DRAFT');
    expect((await ok(UNPUBLISH, { id: created.id }, editor())).unpublishContentEntry.status).toBe('DRAFT');
    expect(await read(FAQ, 'ko-KR')).toEqual([]);

    const snapshot = { kind: 'FAQ', locale: 'ko-KR', title: 'Deposits?', body: '**Yes.**', category: 'Payments', position: 3, status: 'DRAFT', pinned: false, publish_from: null, publish_until: null };
    const by = { staff_id: editorId, target_type: 'content_entry', target_id: created.id, request_id: expect.any(String) };
    expect(await staffActions(server, created.id)).toEqual([
      { ...by, action: 'content_entry.create', before: null, after: snapshot },
      { ...by, action: 'content_entry.publish', before: { status: 'DRAFT' }, after: { status: 'PUBLISHED' } },
      { ...by, action: 'content_entry.unpublish', before: { status: 'PUBLISHED' }, after: { status: 'DRAFT' } },
    ]);
  });

  it('updates the fields given, null clearing the window; audits only what changed, and a change to nothing not at all', async () => {
    const from = '2030-01-01T00:00:00.000Z';
    const until = '2030-02-01T00:00:00.000Z';
    const id = await write({ kind: 'NOTICE', title: 'Old', pinned: true, publishFrom: from, publishUntil: until });
    const { updateContentEntry: updated } = await ok<{ updateContentEntry: EntryView }>(UPDATE, { id, input: { title: 'New', publishUntil: null } }, editor());
    expect(updated).toMatchObject({ title: 'New', pinned: true, publishFrom: from, publishUntil: null, status: 'PUBLISHED' });
    // Given again, in another case and with blanks around: nothing changes.
    await ok(UPDATE, { id, input: { title: ' New ', locale: 'EN', publishFrom: '2030-01-01T09:00:00+09:00' } }, editor());
    const actions = await staffActions(server, id);
    expect(actions.map(({ action }) => action)).toEqual(['content_entry.create', 'content_entry.publish', 'content_entry.update']);
    expect(actions[2]).toMatchObject({ before: { title: 'Old', publish_until: until }, after: { title: 'New', publish_until: null } });
  });

  it('deletes an entry of the brand, the audit keeping what it was; the public no longer sees it, and a second delete is NOT_FOUND', async () => {
    const id = await write({ kind: 'WEB_RULE', title: 'Rule 1', body: 'No bots.' });
    expect(await ok(DELETE, { id }, editor())).toEqual({ deleteContentEntry: true });
    expect(await read(WEB_RULES, 'en')).toEqual([]);
    expect((await staffActions(server, id)).at(-1)).toMatchObject({
      action: 'content_entry.delete',
      before: { kind: 'WEB_RULE', title: 'Rule 1', body: 'No bots.', status: 'PUBLISHED' },
      after: null,
    });
    expect(firstError(await server.graphql(DELETE, { id }, editor()))?.code).toBe('NOT_FOUND');
  });

  const longText = (length: number) => 'x'.repeat(length);
  it.each([
    [{ title: '   ' }, 'title must be 1 to 200 characters'],
    [{ title: longText(201) }, 'title must be 1 to 200 characters'],
    [{ body: longText(20_001) }, 'body must be 1 to 20000 characters'],
    [{ locale: 'en_US' }, 'locale "en_US" is not a BCP 47 tag'],
    [{ category: ' ' }, 'category must be 1 to 64 characters'],
    [{ kind: 'NOTICE', category: 'Payments' }, 'only FAQ entries carry a category'],
    [{ pinned: true }, 'only notices are pinned or carry publishFrom and publishUntil'],
    [{ kind: 'WEB_RULE', publishUntil: '2030-01-01T00:00:00Z' }, 'only notices are pinned or carry publishFrom and publishUntil'],
    [{ kind: 'NOTICE', publishFrom: '2030-01-02T00:00:00Z', publishUntil: '2030-01-01T00:00:00Z' }, 'publishUntil must be after publishFrom'],
    [{ kind: 'NOTICE', publishFrom: '2030-01-01T00:00:00Z', publishUntil: '2030-01-01T00:00:00Z' }, 'publishUntil must be after publishFrom'],
    [{ kind: 'NOTICE', publishFrom: '2030-01-01T00:00:00' }, 'publishFrom must be an RFC 3339 instant with its offset'],
    [{ kind: 'NOTICE', publishUntil: 'tomorrow' }, 'publishUntil must be an RFC 3339 instant with its offset'],
    [{ position: -1 }, 'position must be 0 to 1000000'],
    [{ position: 1_000_001 }, 'position must be 0 to 1000000'],
  ])('refuses to create %o with BAD_USER_INPUT naming the problem, writing nothing', async (input, problem) => {
    const before = await writes();
    const error = firstError(await server.graphql(CREATE, { input: { kind: 'FAQ', locale: 'en', title: 'T', body: 'B', ...input } }, editor()));
    expect(error?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain(problem);
    expect(await writes()).toEqual(before);
  });

  it('lists every problem of an input at once', async () => {
    const error = firstError(await server.graphql(CREATE, { input: { kind: 'FAQ', locale: 'xx_YY', title: '', body: '', pinned: true } }, editor()));
    expect(error?.message).toMatch(/locale.*title.*body.*only notices/);
  });

  it.each([
    [{ publishUntil: '2030-01-01T00:00:00Z' }, 'publishUntil must be after publishFrom'],
    [{ category: 'Payments' }, 'only FAQ entries carry a category'],
    [{ title: null }, 'title cannot be null'],
    [{ locale: null, pinned: null }, 'locale, pinned cannot be null'],
    [{ body: longText(20_001) }, 'body must be 1 to 20000 characters'],
  ])('refuses to update a notice with %o, checking the entry as a whole, changing nothing', async (input, problem) => {
    const id = await write({ kind: 'NOTICE', title: 'Kept', publishFrom: '2030-01-02T00:00:00Z' });
    const before = await writes();
    const error = firstError(await server.graphql(UPDATE, { id, input }, editor()));
    expect(error).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining(problem) });
    expect(await writes()).toEqual(before);
  });
});

describe('staff reading content', () => {
  it('lists the brand entries, drafts included, newest first, by kind, locale and status, a page at a time', async () => {
    await write({ title: 'faq en' });
    await write({ title: 'faq ko draft', locale: 'ko' }, { draft: true });
    await write({ kind: 'NOTICE', title: 'notice en' });
    await write({ kind: 'NOTICE', title: 'acme notice' }, { brand: acme });
    const titles = async (variables: Record<string, unknown>, context = editor()) =>
      (await ok(ENTRIES, variables, context)).contentEntries.edges.map(({ node }: { node: { title: string } }) => node.title);
    expect(await titles({})).toEqual(['notice en', 'faq ko draft', 'faq en']);
    expect(await titles({ kind: 'FAQ' })).toEqual(['faq ko draft', 'faq en']);
    expect(await titles({ locale: 'KO' })).toEqual(['faq ko draft']);
    expect(await titles({ status: 'PUBLISHED' })).toEqual(['notice en', 'faq en']);
    expect(await titles({}, editor(acme))).toEqual(['acme notice']);

    const first = (await ok(ENTRIES, { first: 2 }, editor())).contentEntries;
    expect(first).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(await titles({ first: 2, after: first.pageInfo.endCursor })).toEqual(['faq en']);
    for (const locale of ['en_US', '']) expect(firstError(await server.graphql(ENTRIES, { locale }, editor()))?.code).toBe('BAD_USER_INPUT');
  });

  it('reads one entry by id, null for another brand entry or an id that is not a UUID', async () => {
    const id = await write({ title: 'mine' }, { draft: true });
    const acmeId = await write({ title: 'theirs' }, { brand: acme });
    expect(await ok(ENTRY_BY_ID, { id }, editor())).toEqual({ contentEntry: { id, title: 'mine' } });
    expect(await ok(ENTRY_BY_ID, { id: acmeId }, editor())).toEqual({ contentEntry: null });
    expect(await ok(ENTRY_BY_ID, { id: 'nope' }, editor())).toEqual({ contentEntry: null });
  });
});

describe('who may', () => {
  /** Each staff field with its variables (on a demo entry) and the permission it needs. */
  const operations = (id: string): [string, Record<string, unknown>, Permission][] => [
    [ENTRIES, {}, 'content.read'],
    [ENTRY_BY_ID, { id }, 'content.read'],
    [CREATE, { input: { kind: 'FAQ', locale: 'en', title: 'T', body: 'B' } }, 'content.manage'],
    // Who may is asked before the input is looked at: bad input from a caller without the permission is FORBIDDEN.
    [CREATE, { input: { kind: 'FAQ', locale: 'bad_locale', title: '', body: '' } }, 'content.manage'],
    [UPDATE, { id, input: { title: 'Changed' } }, 'content.manage'],
    [UPDATE, { id, input: { title: null } }, 'content.manage'],
    [PUBLISH, { id }, 'content.manage'],
    [UNPUBLISH, { id }, 'content.manage'],
    [DELETE, { id }, 'content.manage'],
  ];

  it('refuses anonymous callers (UNAUTHENTICATED), players, agents and staff without the permission (FORBIDDEN naming it), changing nothing', async () => {
    const id = await write({ title: 'guarded' });
    const before = await writes();
    const readerOnly = staffWith(demo, randomUUID(), ['content.read', 'players.read', 'messages.send', 'i18n.manage']);
    for (const [query, variables, permission] of operations(id)) {
      expect(firstError(await server.graphql(query, variables, anonymous(demo)))?.code, query).toBe('UNAUTHENTICATED');
      const refusals = [signedIn(demo, 'player', randomUUID()), signedIn(demo, 'agent', randomUUID()), staffWith(demo, randomUUID(), [])];
      if (permission === 'content.manage') refusals.push(readerOnly);
      for (const caller of refusals) {
        expect(firstError(await server.graphql(query, variables, caller)), query).toEqual({ code: 'FORBIDDEN', message: `this operation needs the ${permission} permission` });
      }
    }
    expect(await writes()).toEqual(before);
  });

  it("gives another brand's staff NOT_FOUND for the brand entries, whatever they hold, changing nothing", async () => {
    const id = await write({ title: 'demo only' });
    const before = await writes();
    const acmeStaff = signedIn(acme, 'staff', randomUUID());
    for (const [query, variables] of [
      [UPDATE, { id, input: { title: 'Taken over' } }],
      [PUBLISH, { id }],
      [UNPUBLISH, { id }],
      [DELETE, { id }],
    ] as const) {
      expect(firstError(await server.graphql(query, variables, acmeStaff)), query).toEqual({ code: 'NOT_FOUND', message: 'no such content entry' });
    }
    expect(firstError(await server.graphql(PUBLISH, { id: 'not-a-uuid' }, editor()))?.code).toBe('NOT_FOUND');
    expect(await writes()).toEqual(before);
  });
});
