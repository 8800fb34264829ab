/**
 * Random provider callbacks, signed correctly, through the router over HTTP: whatever the body
 * and however its amount is spelled, the answer is never a 5xx and always in the callback
 * format, a refused call moves no money, an accepted one moves exactly what it says, a byte-for-byte
 * resend answers as the first did, and ledger and balances agree after every call.
 * CALLBACK_FUZZ_SEED replays a run; CALLBACK_FUZZ_SECONDS bounds it (6).
 */
import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { fundedPlayer, sendSignedCallback } from './support/callbacks';
import { bootPlatform, type TestPlatform } from './support/platform';

const SECRET = 'e2e-fuzz-provider-secret';
const SEED = Number(process.env.CALLBACK_FUZZ_SEED ?? Date.now() % 1_000_000);
const SECONDS = Number(process.env.CALLBACK_FUZZ_SECONDS ?? 6);
const MAX_CALLS = 2_000;

let platform: TestPlatform;
let prisma: PrismaClient;

/** The accounts a callback may name: players of demo (USD, funded) and acme (KRW, empty). */
interface Player {
  username: string;
  account: string;
  id: string;
  currency: 'USD' | 'KRW';
}
let players: Player[];

beforeAll(async () => {
  platform = await bootPlatform({ PROVIDER_DEMO_SECRET: SECRET });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
  await fundedPlayer(platform, 'fuzz_rich', '1000.00');
  await fundedPlayer(platform, 'fuzz_poor', '10.00');
  await platform.register('fuzz_krw', 'acme.localhost');
  const rows = await prisma.player.findMany({ where: { username: { startsWith: 'fuzz_' } }, orderBy: { username: 'asc' } });
  const brands = await prisma.brand.findMany();
  players = rows.map((row) => {
    const brand = brands.find((candidate) => candidate.id === row.brandId)!;
    return { username: row.username, account: `${brand.code}_${row.username}`, id: row.id, currency: brand.currency as Player['currency'] };
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});

// ---------------------------------------------------------------- what a call is made of

/** A value that names something the run has seen (resolved when the call is sent), or a literal. */
type Ref = { fresh: true } | { earlier: number } | { literal: unknown };

interface CallSpec {
  action: string;
  /** Send the raw bytes of an earlier call again, unchanged (then nothing else here counts). */
  resend: number | null;
  requestId: Ref;
  timestamp: { offsetSeconds: number; style: 'Z' | 'ms' | '+09:00' } | { literal: unknown };
  account: { username: string } | { literal: unknown };
  /** The account's own currency, or another value. */
  currency: { own: true } | { literal: unknown };
  transactionId: Ref;
  roundId: unknown;
  gameCode: unknown;
  amount: unknown;
  reference: Ref | null;
  roundClosed: unknown;
  extra: [string, unknown] | null;
  /** Fields left out, by index into the body's names. */
  omit: number[];
  mutation: Mutation;
}

type Mutation =
  | { kind: 'none' | 'pretty' | 'escapeNames' | 'bom' | 'nul' | 'loneSurrogate' | 'badUtf8' | 'oversize' | 'deep' }
  | { kind: 'twin'; name: number; value: unknown; nested: boolean }
  | { kind: 'trailing'; text: string }
  | { kind: 'truncate'; at: number };

const weight = <T>(w: number, arbitrary: fc.Arbitrary<T>) => ({ weight: w, arbitrary });
const oddStrings = fc.constantFrom('', ' ', 'x'.repeat(129), 'ünï©ødé', '😀', 'a\nb', '\\', '"', '../..', 'null', '%00', 'demo_fuzz_rich ');
const anyJson = fc.jsonValue({ maxDepth: 2 });
const odd = fc.oneof(oddStrings, anyJson);
const fresh = fc.constant({ fresh: true as const });
const earlier = fc.nat().map((index) => ({ earlier: index }));
const literal = odd.map((value) => ({ literal: value }));
/** Most fields are right: a wrong one is rare enough that most calls reach the wallet. */
const mostly = <T>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<unknown>) => fc.oneof(weight(30, right), weight(1, wrong));

/** Amounts as providers might spell them: mostly plain decimals, some wrong, some not strings. */
const amount = fc.oneof(
  weight(
    30,
    fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.constantFrom('plain', 'short', 'whole', 'padded')).map(([cents, style]) => {
      const whole = Math.floor(cents / 100);
      const fraction = String(cents % 100).padStart(2, '0');
      if (style === 'whole') return String(whole);
      if (style === 'short') return `${whole}.${fraction[0]}`;
      if (style === 'padded') return `00${whole}.${fraction}`;
      return `${whole}.${fraction}`;
    }),
  ),
  weight(
    4,
    fc.constantFrom('-1.00', '+1.00', '1.001', '1e2', '1,00', ' 1.00', '1.00 ', '', '.5', '5.', 'NaN', 'Infinity', '0x10', '１.００', '99999999999999999.99', '1.00\n', '0.000', '١'),
  ),
  weight(1, fc.constantFrom<unknown>(1, 1.5, 0, -1, null, true, [], {}, ['1.00'], { value: '1.00' })),
);

const timestamp = fc.oneof(
  weight(40, fc.record({ offsetSeconds: fc.integer({ min: -120, max: 120 }), style: fc.constantFrom('Z' as const, 'ms' as const, '+09:00' as const) })),
  weight(1, fc.record({ offsetSeconds: fc.constantFrom(-301, -3_600, 301, 86_400), style: fc.constant('Z' as const) })),
  weight(1, fc.constantFrom<unknown>('yesterday', '2026-13-01T00:00:00Z', '2026-01-01T00:00:00', '', 1_700_000_000, null).map((value) => ({ literal: value }))),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  weight(40, fc.constant({ kind: 'none' as const })),
  weight(1, fc.constantFrom(...(['pretty', 'escapeNames', 'bom', 'nul', 'loneSurrogate', 'badUtf8', 'oversize', 'deep'] as const)).map((kind) => ({ kind }))),
  weight(2, fc.record({ kind: fc.constant('twin' as const), name: fc.nat(), value: fc.oneof(amount, anyJson), nested: fc.boolean() })),
  weight(1, fc.record({ kind: fc.constant('trailing' as const), text: fc.constantFrom(' x', '{}', ',', ']', '\n{"amount":"9.99"}', '\u0000') })),
  weight(1, fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() })),
);

const callSpec: fc.Arbitrary<CallSpec> = fc.record({
  action: fc.oneof(weight(20, fc.constantFrom('bet', 'bet', 'win', 'rollback', 'balance')), weight(1, fc.constantFrom('refund', 'BET', 'bet.json'))),
  resend: fc.oneof(weight(19, fc.constant(null)), weight(1, fc.nat())),
  // A request_id named again: the stored answer for the same bytes, a refusal for any other body.
  requestId: fc.oneof(weight(20, fresh), weight(2, earlier), weight(1, literal)),
  timestamp,
  account: fc.oneof(
    weight(40, fc.constantFrom('fuzz_rich', 'fuzz_rich', 'fuzz_rich', 'fuzz_poor', 'fuzz_krw').map((username) => ({ username }))),
    weight(1, fc.oneof(fc.constantFrom('demo_nobody_fz', 'acme_fuzz_rich', 'DEMO_fuzz_rich', 'demo-fuzz_rich', 'demo_'), anyJson).map((value) => ({ literal: value }))),
  ),
  currency: fc.oneof(weight(30, fc.constant({ own: true as const })), weight(1, fc.constantFrom<unknown>('KRW', 'USD', 'usd', 'EUR', '', 'USDX', 840, null).map((value) => ({ literal: value })))),
  transactionId: fc.oneof(weight(20, fresh), weight(3, earlier), weight(1, literal)),
  roundId: mostly(fc.constantFrom('fz-r0', 'fz-r1', 'fz-r2', 'fz-r3'), odd),
  gameCode: mostly(fc.constantFrom('demo-slot', 'demo-live'), fc.oneof(fc.constantFrom('nope', 'rgs-slot'), odd)),
  amount,
  // A win names its bet or settles its round; a rollback names an earlier transaction, mostly a bet.
  reference: fc.oneof(weight(8, fc.constant(null)), weight(10, earlier), weight(2, fresh), weight(1, literal)),
  roundClosed: fc.oneof(weight(12, fc.constant(undefined)), weight(6, fc.boolean()), weight(1, fc.constantFrom<unknown>('true', 1, null))),
  extra: fc.oneof(weight(10, fc.constant(null)), weight(1, fc.tuple(fc.constantFrom('note', 'meta', 'session', 'amount_minor'), anyJson))),
  omit: fc.oneof(weight(30, fc.constant<number[]>([])), weight(1, fc.array(fc.nat(), { minLength: 1, maxLength: 2 }))),
  mutation,
});

// ---------------------------------------------------------------- what the run knows

interface Sent {
  action: string;
  raw: Buffer;
  status: number;
  text: string;
}

/** Ids the run has used, so later calls can name them again; bets the wallet took, for the model. */
interface Memory {
  requestIds: string[];
  /** Calls answered 200, so stored under their request_id: what a later call under it must repeat. */
  stored: Map<string, Sent>;
  transactionIds: string[];
  sent: Sent[];
  bets: Map<string, { player: string; stake: bigint; rolledBack: boolean }>;
}

function resolve(value: Ref, seen: string[]): unknown {
  if ('fresh' in value) return `fz-${randomUUID()}`;
  if ('earlier' in value) return seen.length ? seen[value.earlier % seen.length] : `fz-${randomUUID()}`;
  return value.literal;
}

const at = (offsetSeconds: number, style: 'Z' | 'ms' | '+09:00') => {
  const time = new Date(Date.now() + offsetSeconds * 1_000);
  if (style === 'ms') return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (style === 'Z') return time.toISOString();
  return new Date(time.getTime() + 9 * 3_600_000).toISOString().replace('Z', '+09:00');
};

/** The body a spec describes, as the object sent (before mutations). */
function bodyOf(spec: CallSpec, memory: Memory): Record<string, unknown> {
  const { account } = spec;
  const named = 'username' in account ? players.find((player) => player.username === account.username)! : null;
  const body: Record<string, unknown> = {
    request_id: resolve(spec.requestId, memory.requestIds),
    timestamp: 'literal' in spec.timestamp ? spec.timestamp.literal : at(spec.timestamp.offsetSeconds, spec.timestamp.style),
    account: 'literal' in account ? account.literal : named!.account,
    currency: 'own' in spec.currency ? (named?.currency ?? 'USD') : spec.currency.literal,
    transaction_id: resolve(spec.transactionId, memory.transactionIds),
    round_id: spec.roundId,
    game_code: spec.gameCode,
    amount: spec.amount,
  };
  // A rollback the spec names nothing for rolls back the latest transaction (often the bet just taken).
  const reference = spec.reference ?? (spec.action === 'rollback' ? { earlier: memory.transactionIds.length - 1 } : null);
  if (reference) body.reference_transaction_id = resolve(reference, memory.transactionIds);
  if (spec.roundClosed !== undefined) body.round_closed = spec.roundClosed;
  if (spec.extra) body[spec.extra[0]] = spec.extra[1];
  const names = Object.keys(body);
  for (const index of spec.omit) delete body[names[index % names.length]!];
  return body;
}

const escapeAll = (text: string) => Array.from(text, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/** The bytes sent for `body` under `mutation`. */
function rawOf(body: Record<string, unknown>, mutation: Mutation): Buffer {
  const text = JSON.stringify(body);
  const names = Object.keys(body);
  const withNote = (note: string) => `${text.slice(0, -1)}${names.length ? ',' : ''}"note":"${note}"}`;
  switch (mutation.kind) {
    case 'none':
      return Buffer.from(text);
    case 'pretty':
      return Buffer.from(JSON.stringify(body, null, 2));
    case 'escapeNames':
      return Buffer.from(`{${Object.entries(body).map(([name, value]) => `"${escapeAll(name)}":${JSON.stringify(value)}`).join(',')}}`);
    case 'bom':
      return Buffer.from(`\uFEFF${text}`);
    case 'nul':
      return Buffer.from(withNote('a\\u0000b'));
    case 'loneSurrogate':
      return Buffer.from(withNote('\\ud800'));
    case 'badUtf8': {
      const [head, tail] = withNote('@').split('"@"');
      return Buffer.concat([Buffer.from(`${head}"`), Buffer.from([0xc3, 0x28]), Buffer.from(`"${tail}`)]);
    }
    case 'oversize':
      return Buffer.from(withNote('x'.repeat(20 * 1024)));
    case 'deep':
      return Buffer.from(`${text.slice(0, -1)}${names.length ? ',' : ''}"note":${'['.repeat(2_000)}${']'.repeat(2_000)}}`);
    case 'twin': {
      const name = names.length ? names[mutation.name % names.length]! : 'amount';
      const twin = `"${name}":${JSON.stringify(mutation.value)}`;
      if (mutation.nested) return Buffer.from(`${text.slice(0, -1)}${names.length ? ',' : ''}"meta":{${twin},${twin}}}`);
      return Buffer.from(`${text.slice(0, -1)}${names.length ? ',' : ''}${twin}}`);
    }
    case 'trailing':
      return Buffer.from(text + mutation.text);
    case 'truncate':
      return Buffer.from(text.slice(0, mutation.at % Math.max(text.length, 1)));
  }
}

// ---------------------------------------------------------------- what may be answered

const ERROR_CODES = ['INVALID_REQUEST', 'PLAYER_NOT_FOUND', 'CURRENCY_MISMATCH', 'INSUFFICIENT_FUNDS', 'DUPLICATE_TRANSACTION', 'TRANSACTION_NOT_FOUND', 'TRANSACTION_ROLLED_BACK'];
const PLAIN_AMOUNT = { USD: /^\d+(\.\d{1,2})?$/, KRW: /^\d+$/ };
const MINOR = { USD: 2, KRW: 0 };

/** Minor units of an amount the platform may have accepted, or null when it must not have. */
function minorOf(amount: unknown, currency: Player['currency']): bigint | null {
  if (typeof amount !== 'string' || !PLAIN_AMOUNT[currency].test(amount)) return null;
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole!) * 10n ** BigInt(MINOR[currency]) + BigInt(fraction.padEnd(MINOR[currency], '0') || '0');
}

const format = (minor: bigint, currency: Player['currency']) =>
  currency === 'KRW' ? minor.toString() : `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;

interface Books {
  balances: Map<string, bigint>;
  entries: number;
  total: bigint;
}

async function books(): Promise<Books> {
  const accounts = await prisma.walletAccount.findMany({ where: { playerId: { in: players.map((player) => player.id) } } });
  const ledger = await prisma.ledgerEntry.aggregate({ _count: true, _sum: { amount: true } });
  return {
    balances: new Map(players.map((player) => [player.id, accounts.find((account) => account.playerId === player.id)?.balance ?? 0n])),
    entries: ledger._count,
    total: ledger._sum.amount ?? 0n,
  };
}

interface Answer {
  status: string;
  balance?: string;
  currency?: string;
  duplicate?: boolean;
  error_code?: string;
}

describe('callback fuzz', () => {
  it(`answers random signed callbacks without a 5xx, moving money only as accepted calls say (seed ${SEED})`, async () => {
    console.info(`callback fuzz: seed ${SEED} (replay with CALLBACK_FUZZ_SEED=${SEED})`);
    const specs = fc.sample(callSpec, { seed: SEED, numRuns: MAX_CALLS });
    const memory: Memory = { requestIds: [], stored: new Map(), transactionIds: [], sent: [], bets: new Map() };
    const deadline = Date.now() + SECONDS * 1_000;
    let before = await books();
    const outcomes = new Map<string, number>();

    for (const [index, spec] of specs.entries()) {
      if (Date.now() > deadline) break;
      const earlier = spec.resend === null || memory.sent.length === 0 ? null : memory.sent[spec.resend % memory.sent.length]!;
      const body = earlier ? null : bodyOf(spec, memory);
      const action = earlier?.action ?? spec.action;
      const raw = earlier?.raw ?? rawOf(body!, spec.mutation);
      const response = await sendSignedCallback(platform, action, raw, SECRET);
      const where = `seed ${SEED}, call ${index}: POST ${action} ${raw.toString('utf8').slice(0, 300)} -> ${response.status} ${response.text.slice(0, 300)}`;

      expect(response.status, where).toBeLessThan(500);
      expect([200, 400, 413], where).toContain(response.status);
      const answer = answerOf(response.text, where);
      if (answer.status === 'OK') {
        expect(response.status, where).toBe(200);
        expect(answer, where).toMatchObject({ balance: expect.any(String), currency: expect.any(String), duplicate: expect.any(Boolean) });
      } else {
        expect(answer.status, where).toBe('ERROR');
        expect(ERROR_CODES, where).toContain(answer.error_code);
        if (response.status !== 200) expect(answer.error_code, where).toBe('INVALID_REQUEST');
      }

      const due = earlier ? null : refusalDue(action, raw, body!, spec.mutation, memory);
      if (due) expect({ refused: response.status === 400 || response.status === 413, code: answer.error_code }, `${due}: ${where}`).toEqual({ refused: true, code: 'INVALID_REQUEST' });

      const after = await books();
      const moved = players.map((player) => after.balances.get(player.id)! - before.balances.get(player.id)!);
      const movedTotal = moved.reduce((sum, delta) => sum + delta, 0n);
      // Ledger = balance, call by call: one entry per movement, and the entries add up to it.
      expect(after.total - before.total, where).toBe(movedTotal);
      expect(after.entries - before.entries, where).toBe(moved.filter((delta) => delta !== 0n).length);

      if (earlier) {
        // A resend of the same bytes is the same request: the first answer (its names in any order), nothing moved.
        expect({ status: response.status, answer }, where).toEqual({ status: earlier.status, answer: JSON.parse(earlier.text) });
        expect(moved.every((delta) => delta === 0n), where).toBe(true);
      } else {
        const expected = expectedMovement(action, body!, answer, memory);
        expect(moved, where).toEqual(players.map((player) => (player.id === expected?.player ? expected.minor : 0n)));
        if (answer.status === 'OK' && !answer.duplicate) {
          const player = players.find((candidate) => candidate.account === body!.account)!;
          expect(answer.balance, where).toBe(format(after.balances.get(player.id)!, player.currency));
        }
        remember(body!, memory);
      }
      const outcome = `${action} ${answer.status === 'OK' ? 'OK' : answer.error_code}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const sent = { action, raw, status: response.status, text: response.text };
      memory.sent.push(sent);
      if (response.status === 200 && typeof body?.request_id === 'string' && !memory.stored.has(body.request_id)) memory.stored.set(body.request_id, sent);
      before = after;
    }

    console.info(`callback fuzz: ${memory.sent.length} calls (seed ${SEED})`, Object.fromEntries([...outcomes].sort()));
    // The run must have reached the wallet (bets taken), not only the parser.
    expect(outcomes.get('bet OK'), `seed ${SEED}`).toBeGreaterThan(0);
    expect(outcomes.get('bet INVALID_REQUEST'), `seed ${SEED}`).toBeGreaterThan(0);
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});

/** Mutations after which no body is one JSON text of unique names in valid Unicode, within the size limit. */
const MALFORMED = new Set<Mutation['kind']>(['twin', 'bom', 'badUtf8', 'nul', 'loneSurrogate', 'trailing', 'truncate', 'oversize']);

/** Why this call must be refused with INVALID_REQUEST, or null when it may be answered otherwise. */
function refusalDue(action: string, raw: Buffer, body: Record<string, unknown>, mutation: Mutation, memory: Memory): string | null {
  if (MALFORMED.has(mutation.kind)) return `a body mutated by ${mutation.kind}`;
  const first = typeof body.request_id === 'string' ? memory.stored.get(body.request_id) : undefined;
  if (first && (first.action !== action || !first.raw.equals(raw))) return `request_id ${body.request_id} reused for another request`;
  return null;
}

function answerOf(text: string, where: string): Answer {
  try {
    return JSON.parse(text) as Answer;
  } catch {
    throw new Error(`the answer is not JSON: ${where}`);
  }
}

/**
 * What an answered call must have moved: nothing unless it was accepted as new; a bet its stake,
 * a win its amount, a rollback the stake of an untouched bet of the same player. Updates the
 * model of the bets the wallet holds.
 */
function expectedMovement(action: string, body: Record<string, unknown>, answer: Answer, memory: Memory): { player: string; minor: bigint } | null {
  if (answer.status !== 'OK' || answer.duplicate) return null;
  const player = players.find((candidate) => candidate.account === body.account);
  expect(player, `an unknown account was accepted: ${JSON.stringify(body)}`).toBeDefined();
  const { id, currency } = player!;
  if (action === 'balance') return null;
  if (action === 'rollback') {
    const bet = memory.bets.get(String(body.reference_transaction_id));
    if (!bet || bet.player !== id || bet.rolledBack) return null;
    bet.rolledBack = true;
    return { player: id, minor: bet.stake };
  }
  const minor = minorOf(body.amount, currency);
  expect(minor, `${action} accepted with amount ${JSON.stringify(body.amount)} in ${currency}`).not.toBeNull();
  if (action === 'bet') {
    memory.bets.set(String(body.transaction_id), { player: id, stake: minor!, rolledBack: false });
    return { player: id, minor: -minor! };
  }
  expect(action, `action ${action} was accepted`).toBe('win');
  return { player: id, minor: minor! };
}

/** The ids a body used, for later calls to name again. */
function remember(body: Record<string, unknown>, memory: Memory): void {
  if (typeof body.request_id === 'string') memory.requestIds.push(body.request_id);
  if (typeof body.transaction_id === 'string') memory.transactionIds.push(body.transaction_id);
}
