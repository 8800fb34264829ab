/**
 * Staff setting up a brand's reconciliation over GraphQL: its devices and Telegram chats, its own
 * bank-text patterns; recon.manage only, each change audited in recon.outbox with it, bad input
 * refused writing nothing. The recon subgraph on a seeded database.
 */
import { randomUUID } from 'node:crypto';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, type SeededTestSubgraph, signedIn, staffWith } from '@rgb/kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearRecon, startRecon } from './staff-support';

const SAVE_DEVICE = `mutation ($input: ReconDeviceInput!) { saveReconDevice(input: $input) { id label active createdAt } }`;
const SAVE_PATTERN = `mutation ($input: ReconPatternInput!) { saveReconPattern(input: $input) { id bank pattern senders createdBy createdAt } }`;
const DELETE_PATTERN = `mutation ($id: ID!) { deleteReconPattern(id: $id) }`;

const KWANGJU = String.raw`^\[광주은행\]\s*입금\s*(?<amount>[\d,]+)원\s+(?<depositor>\S+)$`;

let server: SeededTestSubgraph;
beforeAll(async () => {
  server = await startRecon();
});
afterAll(() => server?.close());
beforeEach(() => clearRecon(server.deps.prisma));

const prisma = () => server.deps.prisma;
const managerId = randomUUID();
const manager = (brand: BrandRef = server.brands.acme) => staffWith(brand, managerId, ['recon.manage']);

async function run<T>(query: string, variables: Record<string, unknown>, as: ForwardedContext = manager()): Promise<T> {
  const answer = await server.graphql<T>(query, variables, as);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!;
}

/** The staff actions recon.outbox holds, oldest first, as the admin's audit log will keep them. */
async function audits() {
  const rows = await prisma().reconOutbox.findMany({ where: { eventType: 'STAFF_ACTION_RECORDED' }, orderBy: { id: 'asc' } });
  return rows.map((row) => {
    const envelope = row.envelope as { brand_id: string; aggregate_type: string; aggregate_id: string; payload: { target_id: string } & Record<string, unknown> };
    return { brand_id: envelope.brand_id, aggregate: `${envelope.aggregate_type}:${envelope.aggregate_id}`, ...envelope.payload };
  });
}

const written = async () => ({
  devices: await prisma().reconDevice.findMany({ orderBy: { id: 'asc' } }),
  patterns: await prisma().reconPattern.findMany({ orderBy: { id: 'asc' } }),
  outbox: await prisma().reconOutbox.count(),
});

describe('saveReconDevice', () => {
  it('registers a phone and a Telegram chat to the brand, then changes a label and whether it is active, each audited', async () => {
    const created = await run<{ saveReconDevice: { id: string; createdAt: string } }>(SAVE_DEVICE, { input: { id: 'acme-phone-2', label: '  Counter phone ' } });
    expect(created.saveReconDevice).toEqual({ id: 'acme-phone-2', label: 'Counter phone', active: true, createdAt: expect.stringMatching(/^\d{4}-/) });
    await run(SAVE_DEVICE, { input: { id: 'telegram:-1001234567890', label: 'Bank alerts group', active: false } });
    // Any device_id the SMS webhook takes (1 to 128 characters) can be registered.
    const longest = `Kim's phone ${'9'.repeat(116)}`;
    expect(await run(SAVE_DEVICE, { input: { id: longest, label: 'Spare' } })).toMatchObject({ saveReconDevice: { id: longest } });
    await prisma().$executeRaw`DELETE FROM recon.device WHERE id = ${longest}`;
    await prisma().reconOutbox.deleteMany({ where: { envelope: { path: ['aggregate_id'], equals: longest } } });
    await run(SAVE_DEVICE, { input: { id: 'acme-phone-2', label: 'Front desk' } });
    // Unchanged: answered, not audited.
    expect(await run(SAVE_DEVICE, { input: { id: 'acme-phone-2', label: 'Front desk', active: true } })).toEqual({
      saveReconDevice: { id: 'acme-phone-2', label: 'Front desk', active: true, createdAt: created.saveReconDevice.createdAt },
    });
    await run(SAVE_DEVICE, { input: { id: 'acme-phone-2', label: 'Front desk', active: false } });

    expect(await run(`{ reconDevices { id label active } }`, {}, staffWith(server.brands.acme, randomUUID(), ['recon.read']))).toEqual({
      reconDevices: [
        { id: 'acme-phone-2', label: 'Front desk', active: false },
        { id: 'telegram:-1001234567890', label: 'Bank alerts group', active: false },
      ],
    });
    const acme = server.brands.acme.id;
    const audit = { brand_id: acme, staff_id: managerId, request_id: expect.any(String), target_type: 'recon_device' };
    expect(await audits()).toEqual([
      { ...audit, aggregate: 'recon_device:acme-phone-2', action: 'recon_device.create', target_id: 'acme-phone-2', before: null, after: { label: 'Counter phone', active: true } },
      {
        ...audit,
        aggregate: 'recon_device:telegram:-1001234567890',
        action: 'recon_device.create',
        target_id: 'telegram:-1001234567890',
        before: null,
        after: { label: 'Bank alerts group', active: false },
      },
      {
        ...audit,
        aggregate: 'recon_device:acme-phone-2',
        action: 'recon_device.update',
        target_id: 'acme-phone-2',
        before: { label: 'Counter phone', active: true },
        after: { label: 'Front desk', active: true },
      },
      {
        ...audit,
        aggregate: 'recon_device:acme-phone-2',
        action: 'recon_device.update',
        target_id: 'acme-phone-2',
        before: { label: 'Front desk', active: true },
        after: { label: 'Front desk', active: false },
      },
    ]);
  });

  it("refuses a device of another brand (CONFLICT: ids are global) and ids that are no device's, writing nothing", async () => {
    await run(SAVE_DEVICE, { input: { id: 'demo-phone', label: 'Demo' } }, manager(server.brands.demo));
    const before = await written();
    expect(firstError(await server.graphql(SAVE_DEVICE, { input: { id: 'demo-phone', label: 'Mine now' } }, manager()))?.code).toBe('CONFLICT');
    const badIds = ['', ' ', ' phone', 'phone ', 'tab\there', 'phone\n', 'telegram:abc', 'telegram:', 'telegram:0123', 'Telegram:12', 'telegram:12 ', `p${'x'.repeat(128)}`];
    for (const id of badIds) {
      expect(firstError(await server.graphql(SAVE_DEVICE, { input: { id, label: 'Phone' } }, manager()))?.code, id).toBe('BAD_USER_INPUT');
    }
    for (const label of ['', '   ', 'x'.repeat(101)]) {
      expect(firstError(await server.graphql(SAVE_DEVICE, { input: { id: 'acme-phone-9', label } }, manager()))?.code, label).toBe('BAD_USER_INPUT');
    }
    expect(await written()).toEqual(before);
  });
});

describe('saveReconPattern and deleteReconPattern', () => {
  it("saves the brand's pattern for a bank, replaces it for the same bank, and deletes it, each audited", async () => {
    const saved = await run<{ saveReconPattern: { id: string } }>(SAVE_PATTERN, { input: { bank: ' kwangju ', pattern: KWANGJU, senders: [' 1588-4000', '1588-4000', '광주은행'] } });
    expect(saved.saveReconPattern).toEqual({
      id: expect.any(String),
      bank: 'KWANGJU',
      pattern: KWANGJU,
      senders: ['1588-4000', '광주은행'],
      createdBy: managerId,
      createdAt: expect.stringMatching(/^\d{4}-/),
    });
    const { id } = saved.saveReconPattern;
    const replacement = KWANGJU.replace('입금', '입금\\s*안내');
    expect(await run(SAVE_PATTERN, { input: { bank: 'KWANGJU', pattern: replacement, senders: ['15884000'] } })).toMatchObject({
      saveReconPattern: { id, bank: 'KWANGJU', pattern: replacement, senders: ['15884000'] },
    });
    // The same again: answered, not audited.
    await run(SAVE_PATTERN, { input: { bank: 'KWANGJU', pattern: replacement, senders: ['15884000'] } });
    const other = await run<{ saveReconPattern: { id: string } }>(SAVE_PATTERN, { input: { bank: 'JEONBUK', pattern: KWANGJU, senders: ['15884477'] } });
    const reader = staffWith(server.brands.acme, randomUUID(), ['recon.read']);
    expect(await run(`{ reconPatterns { id bank } }`, {}, reader)).toEqual({
      reconPatterns: [
        { id: other.saveReconPattern.id, bank: 'JEONBUK' },
        { id, bank: 'KWANGJU' },
      ],
    });

    expect(await run(DELETE_PATTERN, { id })).toEqual({ deleteReconPattern: true });
    expect(await run(`{ reconPatterns { bank } }`, {}, reader)).toEqual({ reconPatterns: [{ bank: 'JEONBUK' }] });
    expect(firstError(await server.graphql(DELETE_PATTERN, { id }, manager()))?.code).toBe('NOT_FOUND');

    const audit = { brand_id: server.brands.acme.id, staff_id: managerId, request_id: expect.any(String), target_type: 'recon_pattern', aggregate: `recon_pattern:${id}`, target_id: id };
    const first = { bank: 'KWANGJU', pattern: KWANGJU, senders: ['1588-4000', '광주은행'] };
    const second = { bank: 'KWANGJU', pattern: replacement, senders: ['15884000'] };
    const actions = (await audits()).filter((action) => action.target_id === id);
    expect(actions).toEqual([
      { ...audit, action: 'recon_pattern.save', before: null, after: first },
      { ...audit, action: 'recon_pattern.save', before: first, after: second },
      { ...audit, action: 'recon_pattern.delete', before: second, after: null },
    ]);
  });

  it("refuses a pattern that cannot read a deposit, a bad bank or senders, and another brand's pattern, writing nothing", async () => {
    const demoPattern = await run<{ saveReconPattern: { id: string } }>(SAVE_PATTERN, { input: { bank: 'KWANGJU', pattern: KWANGJU, senders: ['15884000'] } }, manager(server.brands.demo));
    const before = await written();
    const input = (overrides: Record<string, unknown>) => ({ bank: 'KWANGJU', pattern: KWANGJU, senders: ['15884000'], ...overrides });
    const refusals: Record<string, unknown>[] = [
      { pattern: '(?<amount>[\\d,]+' },
      { pattern: '(?<amount>[\\d,]+)원' },
      { pattern: '(?<depositor>\\S+)' },
      { pattern: '' },
      { pattern: `(?<amount>\\d+)(?<depositor>\\S+)${'x'.repeat(2_000)}` },
      { bank: '' },
      { bank: 'K' },
      { bank: '광주' },
      { bank: '1BANK' },
      { senders: [] },
      { senders: ['  '] },
      { senders: ['x'.repeat(65)] },
      { senders: Array.from({ length: 21 }, (_, index) => `1588${index}`) },
    ];
    for (const overrides of refusals) {
      expect(firstError(await server.graphql(SAVE_PATTERN, { input: input(overrides) }, manager()))?.code, JSON.stringify(overrides).slice(0, 80)).toBe('BAD_USER_INPUT');
    }
    for (const id of [demoPattern.saveReconPattern.id, randomUUID(), 'not-a-uuid']) {
      expect(firstError(await server.graphql(DELETE_PATTERN, { id }, manager()))?.code, id).toBe('NOT_FOUND');
    }
    expect(await written()).toEqual(before);
  });
});

describe('who sets up a brand', () => {
  it('refuses every change to staff without recon.manage (FORBIDDEN), players, agents and anonymous callers, writing nothing', async () => {
    const pattern = await run<{ saveReconPattern: { id: string } }>(SAVE_PATTERN, { input: { bank: 'KWANGJU', pattern: KWANGJU, senders: ['15884000'] } });
    const before = await written();
    const { acme } = server.brands;
    const changes: [string, Record<string, unknown>][] = [
      [SAVE_DEVICE, { input: { id: 'acme-phone-3', label: 'Phone' } }],
      [SAVE_PATTERN, { input: { bank: 'JEONBUK', pattern: KWANGJU, senders: ['15884477'] } }],
      [DELETE_PATTERN, { id: pattern.saveReconPattern.id }],
    ];
    const refused: [ForwardedContext, string][] = [
      [staffWith(acme, randomUUID(), ['recon.read', 'recon.resolve']), 'FORBIDDEN'],
      [signedIn(acme, 'player', randomUUID()), 'FORBIDDEN'],
      [signedIn(acme, 'agent', randomUUID()), 'FORBIDDEN'],
      [anonymous(acme), 'UNAUTHENTICATED'],
    ];
    for (const [mutation, variables] of changes) {
      for (const [caller, code] of refused) expect(firstError(await server.graphql(mutation, variables, caller))?.code, `${mutation} as ${caller.caller?.kind}`).toBe(code);
    }
    expect(await written()).toEqual(before);
  });
});
