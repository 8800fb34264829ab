/**
 * Hundreds of money commands on a few accounts at the same moment, each provider transaction and
 * keyed command fired more than once: no balance goes negative, no duplicate moves money, and
 * every balance is both the sum of its ledger and the sum of what the callers were told.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrandRef } from '@rgb/kit';
import type { GraphQLResponse, SeededTestSubgraph } from '@rgb/kit/testing';
import {
  APPROVE_DEPOSIT,
  asPlayer,
  asStaff,
  brandBody,
  dataOf,
  type DepositView,
  expectBooks,
  type InternalResponse,
  outboxRows,
  processedByRolling,
  providerBody,
  REQUEST_DEPOSIT,
  REQUEST_WITHDRAWAL,
  serviceClient,
  type ServiceClient,
  startWallet,
} from './helpers';

let server: SeededTestSubgraph;
let call: ServiceClient;
beforeAll(async () => {
  // The burst is about money, not rolling's latency: its withdrawal checks may wait long.
  server = await startWallet({ ROLLING_RESPONSE_TIMEOUT_MS: '30000' });
  call = await serviceClient(server);
});
afterAll(() => server?.close());

/** A small seeded generator, so a failing mix can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), next };
}

/** Deposit and withdrawal amounts (minor units) inside the seeded limits of each brand's currency. */
const REQUEST_AMOUNTS: Record<string, { deposit: [number, number]; withdrawal: [number, number] }> = {
  USD: { deposit: [1_000, 2_000], withdrawal: [2_000, 3_000] },
  KRW: { deposit: [10_000, 20_000], withdrawal: [10_000, 30_000] },
};

type Kind = 'bet' | 'win' | 'rollback' | 'approve' | 'withdraw' | 'promo' | 'reverse';

/** What a caller was told. */
interface Outcome {
  ok: boolean;
  duplicate: boolean;
  code: string | undefined;
  /** The balance the answer carried, minor units (internal API successes). */
  balance: bigint | undefined;
  /** The request id (GraphQL successes). */
  id: string | undefined;
}

interface Op {
  kind: Kind;
  player: string;
  /** One command: every copy of an op shares it (the transaction id or idempotency key). */
  key: string;
  /** Minor units the command moves when it succeeds (for a rollback: its bet's stake). */
  amount: bigint;
  /** A rollback's bet. */
  bet?: string;
  send(): Promise<Outcome>;
}

/** The error codes each kind may answer under this load; anything else fails the test. */
const EXPECTED_REFUSALS: Record<Kind, string[]> = {
  bet: ['INSUFFICIENT_FUNDS', 'TRANSACTION_ROLLED_BACK'],
  win: ['TRANSACTION_NOT_FOUND'],
  rollback: [],
  approve: ['CONFLICT'],
  // A withdrawal after one of the burst's approvals: rolling (no worker here) has not processed it.
  withdraw: ['INSUFFICIENT_FUNDS', 'ROLLING_INCOMPLETE'],
  promo: [],
  reverse: ['INSUFFICIENT_FUNDS', 'NOT_FOUND'],
};

const fromInternal = (response: InternalResponse): Outcome =>
  response.status === 200
    ? { ok: true, duplicate: response.body.duplicate, code: undefined, balance: BigInt(response.body.balance_minor), id: undefined }
    : { ok: false, duplicate: false, code: response.body?.error?.code ?? `HTTP ${response.status}`, balance: undefined, id: undefined };

function fromGraphQL(response: GraphQLResponse<Record<string, { id: string } | undefined>>): Outcome {
  const error = response.body.errors?.[0];
  if (error) return { ok: false, duplicate: false, code: error.extensions?.code ?? `HTTP ${response.status}`, balance: undefined, id: undefined };
  const [node] = Object.values(response.body.data ?? {});
  return { ok: true, duplicate: false, code: undefined, balance: undefined, id: node?.id };
}

function shuffle<T>(items: T[], rng: ReturnType<typeof random>): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe('many commands at once', () => {
  it('keep every balance non-negative, equal to its ledger and to the answers given', { timeout: 180_000 }, async () => {
    const seed = Number(process.env.WALLET_CONCURRENCY_SEED ?? Date.now() % 1_000_000);
    const rng = random(seed);
    const accounts: { brand: BrandRef; player: string; funded: bigint }[] = [
      ...Array.from({ length: 2 }, () => ({ brand: server.brands.demo, player: randomUUID(), funded: 20_000n })),
      ...Array.from({ length: 2 }, () => ({ brand: server.brands.acme, player: randomUUID(), funded: 200_000n })),
    ];

    // Starting balances and the deposit requests the burst will approve, made one by one.
    const pendingDeposits = new Map<string, { id: string; amount: bigint }[]>();
    for (const { brand, player, funded } of accounts) {
      const major = brand.currency === 'USD' ? (funded / 100n).toString() : funded.toString();
      const first = dataOf(
        await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount: major, depositorName: 'Setup' } }, asPlayer(brand, player)),
      ).requestDeposit.id;
      dataOf(await server.graphql(APPROVE_DEPOSIT, { id: first }, asStaff(brand)));
      await processedByRolling(server, brand, player);
      const pending: { id: string; amount: bigint }[] = [];
      for (let i = 0; i < 5; i++) {
        const minor = BigInt(rng.int(...REQUEST_AMOUNTS[brand.currency]!.deposit));
        const amount = brand.currency === 'USD' ? `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}` : minor.toString();
        const request = dataOf(
          await server.graphql<{ requestDeposit: DepositView }>(REQUEST_DEPOSIT, { input: { amount, depositorName: 'Burst' } }, asPlayer(brand, player)),
        ).requestDeposit;
        pending.push({ id: request.id, amount: minor });
      }
      pendingDeposits.set(player, pending);
    }
    await expectBooks(server, Object.fromEntries(accounts.map((account) => [account.player, account.funded])));
    const entriesBefore = await server.deps.prisma.ledgerEntry.count();

    // The burst: every op below is pushed twice (a quarter of them three times), then all are shuffled and fired together.
    const ops: Op[] = [];
    const copies = (op: Op) => {
      for (let n = rng.next() < 0.25 ? 3 : 2; n > 0; n--) ops.push(op);
    };
    for (const { brand, player } of accounts) {
      const p = player.slice(0, 8);
      const bets = Array.from({ length: 30 }, (_, i) => ({ tx: `b-${p}-${i}`, round: `rd-${p}-${i}`, amount: BigInt(rng.int(1, 1_500)) }));
      for (const bet of bets) {
        copies({ kind: 'bet', player, key: bet.tx, amount: bet.amount, send: async () => fromInternal(await call('bets', providerBody({ brand, player, tx: bet.tx, round: bet.round, amount: bet.amount }))) });
      }
      for (const bet of bets.slice(0, 10)) {
        const tx = `w-${bet.tx}`;
        const amount = BigInt(rng.next() < 0.3 ? 0 : rng.int(1, 3_000));
        copies({ kind: 'win', player, key: tx, amount, send: async () => fromInternal(await call('wins', providerBody({ brand, player, tx, round: bet.round, amount, reference: bet.tx }))) });
      }
      for (const bet of bets.slice(10, 20)) {
        const tx = `rb-${bet.tx}`;
        copies({ kind: 'rollback', player, key: tx, amount: bet.amount, bet: bet.tx, send: async () => fromInternal(await call('rollbacks', providerBody({ brand, player, tx, round: bet.round, reference: bet.tx }))) });
      }
      for (const bet of bets.slice(18, 20)) {
        // A second rollback of the same bet under another id: it must move nothing more.
        const tx = `rb2-${bet.tx}`;
        copies({ kind: 'rollback', player, key: tx, amount: bet.amount, bet: bet.tx, send: async () => fromInternal(await call('rollbacks', providerBody({ brand, player, tx, round: bet.round, reference: bet.tx }))) });
      }
      for (let i = 0; i < 3; i++) {
        // A rollback racing the very bet it names: either the bet is refused, or its stake comes back.
        const ghost = { tx: `g-${p}-${i}`, round: `rg-${p}-${i}`, amount: BigInt(rng.int(1, 500)) };
        copies({ kind: 'bet', player, key: ghost.tx, amount: ghost.amount, send: async () => fromInternal(await call('bets', providerBody({ brand, player, tx: ghost.tx, round: ghost.round, amount: ghost.amount }))) });
        const tx = `rbg-${ghost.tx}`;
        copies({ kind: 'rollback', player, key: tx, amount: ghost.amount, bet: ghost.tx, send: async () => fromInternal(await call('rollbacks', providerBody({ brand, player, tx, round: ghost.round, reference: ghost.tx }))) });
      }
      for (const deposit of pendingDeposits.get(player)!) {
        copies({ kind: 'approve', player, key: deposit.id, amount: deposit.amount, send: async () => fromGraphQL(await server.graphql(APPROVE_DEPOSIT, { id: deposit.id }, asStaff(brand))) });
      }
      for (let i = 0; i < 4; i++) {
        const key = `wd-${p}-${i}`;
        const minor = BigInt(rng.int(...REQUEST_AMOUNTS[brand.currency]!.withdrawal));
        const amount = brand.currency === 'USD' ? `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}` : minor.toString();
        copies({ kind: 'withdraw', player, key, amount: minor, send: async () => fromGraphQL(await server.graphql(REQUEST_WITHDRAWAL, { input: { amount, idempotencyKey: key } }, asPlayer(brand, player))) });
      }
      const keyed = (key: string, amount: bigint) => ({ brand: brandBody(brand), player_id: player, key, reference: `burst:${key}`, caused_by: 'service:promotion', amount_minor: amount.toString() });
      const credited: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const key = `pc-${p}-${i}`;
        const amount = BigInt(rng.int(100, 1_000));
        credited.push(amount);
        copies({ kind: 'promo', player, key, amount, send: async () => fromInternal(await call('promotions/credit', keyed(key, amount))) });
      }
      // A reversal names its credit's key and takes back at most what it paid; it may run first (NOT_FOUND).
      for (let i = 0; i < 2; i++) {
        const key = `pc-${p}-${i}`;
        const amount = BigInt(rng.int(50, Number(credited[i]!)));
        copies({ kind: 'reverse', player, key, amount, send: async () => fromInternal(await call('promotions/reverse', keyed(key, amount))) });
      }
    }
    shuffle(ops, rng);
    expect(ops.length).toBeGreaterThan(400);
    const outcomes = await Promise.all(ops.map((op) => op.send()));
    const answered = ops.map((op, index) => ({ op, outcome: outcomes[index]! }));

    // Only the refusals each command may meet; never a 5xx, never a negative balance in an answer.
    const unexpected = answered.filter(({ op, outcome }) => !outcome.ok && !EXPECTED_REFUSALS[op.kind].includes(outcome.code!));
    expect(unexpected.map(({ op, outcome }) => `${op.kind} ${op.key}: ${outcome.code}`), `seed ${seed}`).toEqual([]);
    expect(answered.filter(({ outcome }) => outcome.balance !== undefined && outcome.balance < 0n)).toEqual([]);

    // Per command: at most one answer moved money; each duplicate carries the first answer's balance.
    const byCommand = new Map<string, { op: Op; outcomes: Outcome[] }>();
    for (const { op, outcome } of answered) {
      const id = `${op.kind}:${op.key}`;
      const entry = byCommand.get(id) ?? { op, outcomes: [] };
      entry.outcomes.push(outcome);
      byCommand.set(id, entry);
    }
    const succeeded = new Map<string, Outcome>();
    for (const [id, { op, outcomes: answers }] of byCommand) {
      const movers = answers.filter((outcome) => outcome.ok && !outcome.duplicate);
      if (op.kind === 'withdraw') {
        // A repeated key answers the first request itself.
        expect(new Set(answers.filter((o) => o.ok).map((o) => o.id)).size, id).toBeLessThanOrEqual(1);
        if (movers.length > 0) succeeded.set(id, movers[0]!);
        continue;
      }
      expect(movers.length, `${id} moved money ${movers.length} times (seed ${seed})`).toBeLessThanOrEqual(1);
      const first = movers[0];
      if (!first) continue;
      succeeded.set(id, first);
      for (const duplicate of answers.filter((outcome) => outcome.duplicate)) expect(duplicate.balance, id).toBe(first.balance);
    }
    const duplicates = answered.filter(({ outcome }) => outcome.duplicate).length;
    expect(duplicates, 'the burst should have produced duplicate answers').toBeGreaterThan(0);

    // What each account must hold: its funding plus what every successful answer said it moved.
    const expected = new Map(accounts.map((account) => [account.player, account.funded]));
    let movingCommands = 0;
    for (const [id, { op }] of byCommand) {
      if (!succeeded.has(id)) continue;
      let delta: bigint;
      switch (op.kind) {
        case 'bet':
        case 'withdraw':
        case 'reverse':
          delta = -op.amount;
          break;
        case 'win':
        case 'approve':
        case 'promo':
          delta = op.amount;
          break;
        case 'rollback':
          // Every rollback succeeds; it restores the stake iff its bet was debited, and only once per bet.
          delta = 0n;
          break;
      }
      if (delta !== 0n) movingCommands++;
      expected.set(op.player, expected.get(op.player)! + delta);
    }
    const rolledBackBets = new Set([...byCommand.values()].filter(({ op }) => op.kind === 'rollback').map(({ op }) => op.bet!));
    let restored = 0;
    for (const bet of rolledBackBets) {
      const betCommand = byCommand.get(`bet:${bet}`)!;
      if (!succeeded.has(`bet:${bet}`)) continue;
      restored++;
      expected.set(betCommand.op.player, expected.get(betCommand.op.player)! + betCommand.op.amount);
    }

    // The ledger agrees with the answers: one entry per moving command, none for a refused one.
    const entries = await server.deps.prisma.ledgerEntry.findMany({ where: { playerId: { in: accounts.map((a) => a.player) } }, select: { commandKey: true } });
    const perKey = new Map<string, number>();
    for (const { commandKey } of entries) perKey.set(commandKey, (perKey.get(commandKey) ?? 0) + 1);
    expect([...perKey].filter(([, count]) => count !== 1)).toEqual([]);
    expect((await server.deps.prisma.ledgerEntry.count()) - entriesBefore).toBe(movingCommands + restored);
    const brandOf = new Map(accounts.map(({ brand, player }) => [player, brand.id]));
    for (const [id, { op }] of byCommand) {
      if (op.kind === 'bet') expect(perKey.get(`bet:demo:${op.key}`) ?? 0, id).toBe(succeeded.has(id) ? 1 : 0);
      if (op.kind === 'promo') expect(perKey.get(`promotion.credit:${brandOf.get(op.player)}:${op.key}`) ?? 0, id).toBe(succeeded.has(id) ? 1 : 0);
      if (op.kind === 'reverse') expect(perKey.get(`promotion.reverse:${brandOf.get(op.player)}:${op.key}`) ?? 0, id).toBe(succeeded.has(id) ? 1 : 0);
      if (op.kind === 'approve') expect(perKey.get(`deposit.approve:${op.key}`) ?? 0, id).toBe(1);
    }
    for (const bet of rolledBackBets) expect(perKey.get(`rollback:demo:${bet}`) ?? 0, bet).toBe(succeeded.has(`bet:${bet}`) ? 1 : 0);

    // One event per fact.
    const approvedIds = [...pendingDeposits.values()].flat().map((deposit) => deposit.id);
    for (const id of approvedIds) expect(await outboxRows(server, 'DEPOSIT_APPROVED', id), id).toHaveLength(1);
    const withdrawalIds = [...succeeded].filter(([id]) => id.startsWith('withdraw:')).map(([, outcome]) => outcome.id!);
    for (const id of withdrawalIds) expect(await outboxRows(server, 'WITHDRAW_REQUESTED', id), id).toHaveLength(1);
    expect(await server.deps.prisma.withdrawalRequest.count({ where: { playerId: { in: accounts.map((a) => a.player) } } })).toBe(withdrawalIds.length);
    expect((await outboxRows(server, 'BET_ROLLED_BACK_CONFIRMED')).length).toBe(restored);

    for (const [player, balance] of expected) expect(balance, `${player} (seed ${seed})`).toBeGreaterThanOrEqual(0n);
    await expectBooks(server, Object.fromEntries(expected));
  });
});
