import { randomUUID } from 'node:crypto';
import type { CatalogBrand } from '@rgb/contracts';
import { createPrismaClient, type Game, type PrismaClient, type Provider } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { Metrics } from '@rgb/kit';
import type { Histogram } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnsweredCallback, CallbackStore } from '../src/history';

/**
 * The callback store on a real PostgreSQL: callbacks answered in one turn of the event loop share
 * a lookup and a write, and still each get their own answer and rows.
 */
let database: TestDatabase;
let prisma: PrismaClient;
let provider: Provider;
let game: Game;
const brand: CatalogBrand = { id: randomUUID(), code: 'demo', name: 'Demo', currency: 'USD', timezone: 'UTC', status: 'ACTIVE', domains: [] };

beforeAll(async () => {
  database = await createTestDatabase();
  prisma = createPrismaClient({ databaseUrl: database.url, applicationName: 'callback-store-test' });
  provider = await prisma.provider.create({ data: { code: 'store', name: 'Store', secret: 'secret', launchUrl: 'http://127.0.0.1/launch' } });
  game = await prisma.game.create({ data: { code: 'store-slot', providerId: provider.id, name: 'Store slot', category: 'SLOTS' } });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

/** A store with metrics of its own, so each test reads only its own statements. */
function newStore() {
  const metrics = new Metrics('game-test', { processMetrics: false });
  const warnings: unknown[] = [];
  const store = new CallbackStore(prisma, metrics, { warn: (...args: unknown[]) => void warnings.push(args) });
  const statements = async (statement: 'lookup' | 'record') => {
    const histogram = metrics.registry.getSingleMetric('callback_store_batch_size') as Histogram<'statement'>;
    const values = (await histogram.get()).values.filter((value) => value.labels.statement === statement);
    const read = (name: string) => values.find((value) => value.metricName === name)?.value ?? 0;
    return { count: read('callback_store_batch_size_count'), callbacks: read('callback_store_batch_size_sum') };
  };
  return { store, statements, warnings };
}

type MoneyAction = 'bet' | 'win' | 'rollback';

function answered(requestId: string, money?: { action: MoneyAction; playerId: string; roundId: string; transactionId: string; amount?: bigint; reference?: string; closed?: boolean; currency?: string }): AnsweredCallback {
  const body = { request_id: requestId, amount: money?.amount?.toString() };
  const callback: AnsweredCallback = {
    provider,
    request: { action: money?.action ?? 'balance', requestId, body, sha256: randomUUID().replaceAll('-', '').padEnd(64, '0') },
    response: { status: 200, body: { status: 'OK', balance: '1.00', currency: 'USD', duplicate: false } },
  };
  if (!money) return callback;
  const account = { brand: { ...brand, currency: money.currency ?? brand.currency }, playerId: money.playerId };
  const base = { providerCode: provider.code, transactionId: money.transactionId, brand: account.brand, playerId: money.playerId, roundId: money.roundId, gameCode: game.code, gameCategory: game.category };
  const call =
    money.action === 'rollback'
      ? { ...base, referenceTransactionId: money.reference! }
      : { ...base, amount: money.amount ?? 0n, ...(money.reference ? { referenceTransactionId: money.reference } : {}) };
  return { ...callback, money: { account, game, action: money.action, call, roundClosed: money.closed === true } };
}

const betsOfRound = (playerId: string, roundId: string) =>
  prisma.gameBet.findMany({ where: { round: { providerId: provider.id, playerId, roundId } }, orderBy: { createdAt: 'asc' }, select: { kind: true, transactionId: true, amount: true } });

describe('CallbackStore', () => {
  it('answers every key of a lookup made in one turn with its own stored answer, in one statement', async () => {
    const { store, statements } = newStore();
    const saved = [answered(`lk-${randomUUID()}`), answered(`lk-${randomUUID()}`), answered(`lk-${randomUUID()}`)];
    saved[1]!.response = { status: 200, body: { status: 'ERROR', error_code: 'INSUFFICIENT_FUNDS', message: 'no', balance: '0.00' } };
    await Promise.all(saved.map((callback) => store.save(callback)));

    const unknown = [answered(`lk-${randomUUID()}`), answered(`lk-${randomUUID()}`)];
    const asked = [unknown[0]!, saved[2]!, saved[0]!, unknown[1]!, saved[1]!];
    // The third asks with other bytes under a stored request_id: found, but not the same bytes.
    const otherBytes = { ...saved[0]!.request, sha256: 'f'.repeat(64) };
    const answers = await Promise.all([...asked.map((callback) => store.storedAnswer(provider, callback.request)), store.storedAnswer(provider, otherBytes)]);

    expect(answers.map((answer) => answer?.response_body ?? null)).toEqual([null, saved[2]!.response.body, saved[0]!.response.body, null, saved[1]!.response.body, saved[0]!.response.body]);
    expect(answers.map((answer) => answer?.same_bytes ?? null)).toEqual([null, true, true, null, true, false]);
    expect(await statements('lookup')).toEqual({ count: 1, callbacks: 6 });
  });

  it('writes the callbacks of one turn in one statement, and calls of one round in statements of their own, in order', async () => {
    const { store, statements, warnings } = newStore();
    const player = randomUUID();
    const others = Array.from({ length: 4 }, (_, i) => answered(`wr-${randomUUID()}`, { action: 'bet', playerId: randomUUID(), roundId: `r-${i}`, transactionId: `t-${randomUUID()}`, amount: 100n }));
    const round = `shared-${randomUUID()}`;
    const stake = `stake-${randomUUID()}`;
    const sameRound = [
      answered(`wr-${randomUUID()}`, { action: 'bet', playerId: player, roundId: round, transactionId: stake, amount: 250n }),
      answered(`wr-${randomUUID()}`, { action: 'win', playerId: player, roundId: round, transactionId: `win-${randomUUID()}`, amount: 75n, reference: stake, closed: true }),
      answered(`wr-${randomUUID()}`, { action: 'rollback', playerId: player, roundId: round, transactionId: `rb-${randomUUID()}`, reference: stake }),
    ];
    await Promise.all([...others, ...sameRound, answered(`wr-${randomUUID()}`)].map((callback) => store.save(callback)));

    // One statement for the four other rounds, the balance call and the round's first call; one each for its next two.
    expect(await statements('record')).toEqual({ count: 3, callbacks: 8 });
    expect(warnings).toEqual([]);
    // The rollback's statement ran after the bet's, so it takes the bet's stake.
    expect(await betsOfRound(player, round)).toEqual([
      { kind: 'BET', transactionId: stake, amount: 250n },
      expect.objectContaining({ kind: 'WIN', amount: 75n }),
      expect.objectContaining({ kind: 'ROLLBACK', amount: 250n }),
    ]);
    expect(await prisma.gameRound.findFirstOrThrow({ where: { providerId: provider.id, playerId: player, roundId: round } })).toMatchObject({ status: 'CLOSED', currency: 'USD' });
    const stored = await prisma.callbackLog.count({ where: { requestId: { in: [...others, ...sameRound].map((callback) => callback.request.requestId) } } });
    expect(stored).toBe(7);
  });

  it('fails only the callback whose row PostgreSQL refuses when a batch cannot be written', async () => {
    const { store, warnings } = newStore();
    const good = [answered(`bad-${randomUUID()}`, { action: 'bet', playerId: randomUUID(), roundId: 'g1', transactionId: `t-${randomUUID()}`, amount: 1n }), answered(`bad-${randomUUID()}`)];
    // A currency of more than three letters does not fit game_round.currency.
    const refused = answered(`bad-${randomUUID()}`, { action: 'bet', playerId: randomUUID(), roundId: 'b1', transactionId: `t-${randomUUID()}`, amount: 1n, currency: 'DOLLARS' });
    const outcomes = await Promise.allSettled([good[0]!, refused, good[1]!].map((callback) => store.save(callback)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/character\(3\)|too long/);
    expect(warnings).toHaveLength(1);
    const requestIds = (await prisma.callbackLog.findMany({ where: { requestId: { startsWith: 'bad-' } }, select: { requestId: true } })).map((row) => row.requestId);
    expect(requestIds.sort()).toEqual(good.map((callback) => callback.request.requestId).sort());
  });
});
