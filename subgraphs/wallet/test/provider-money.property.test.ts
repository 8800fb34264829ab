import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';
import { DomainError } from '@rgb/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { placeBet, rollbackBet, settleWin } from '../src/bets';
import { adjustBalance } from '../src/credits';
import { findLedgerMismatches } from '../src/reconciliation';

/**
 * Random sequences of bet / win / rollback, with exact repeats and ids reused for other calls, at
 * one account, against a model of the provider callback rules (docs/api/providers.md): every answer and the final balance must
 * be the model's, and the ledger must agree with the balance.
 */
let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase();
  prisma = createPrismaClient({ databaseUrl: database.url, poolSize: 4 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

type Op =
  | { kind: 'bet'; tx: string; amount: number }
  | { kind: 'win'; tx: string; amount: number; ref: string }
  | { kind: 'rollback'; tx: string; ref: string };

type Outcome = { ok: true; balance: number; duplicate: boolean } | { ok: false; code: string };

interface Used {
  op: Op;
  /** The balance the first call answered. */
  balance: number;
}

/** The rules, as plain bookkeeping. */
class Model {
  balance = 100;
  private readonly used = new Map<string, Used>();
  /** Bets by id: their stake and state (a tombstone has no stake). */
  private readonly bets = new Map<string, { amount: number; status: 'OPEN' | 'SETTLED' | 'ROLLED_BACK' }>();

  apply(op: Op): Outcome {
    const earlier = this.used.get(op.tx);
    if (earlier) {
      if (op.kind === 'bet' && this.bets.get(op.tx)?.status === 'ROLLED_BACK') return { ok: false, code: 'TRANSACTION_ROLLED_BACK' };
      return JSON.stringify(earlier.op) === JSON.stringify(op) ? { ok: true, balance: earlier.balance, duplicate: true } : { ok: false, code: 'DUPLICATE_TRANSACTION' };
    }
    if (op.kind === 'bet') {
      if (op.amount > this.balance) return { ok: false, code: 'INSUFFICIENT_FUNDS' };
      this.balance -= op.amount;
      this.bets.set(op.tx, { amount: op.amount, status: 'OPEN' });
      return this.record(op);
    }
    const bet = this.bets.get(op.ref);
    if (op.kind === 'win') {
      if (!bet) return { ok: false, code: 'TRANSACTION_NOT_FOUND' };
      if (bet.status === 'ROLLED_BACK') return { ok: false, code: 'TRANSACTION_ROLLED_BACK' };
      this.balance += op.amount;
      bet.status = 'SETTLED';
      return this.record(op);
    }
    const target = this.used.get(op.ref);
    // Only bets are rolled back: one naming a win, a rollback or itself succeeds and moves nothing.
    if ((target && target.op.kind !== 'bet') || op.ref === op.tx) return this.record(op);
    if (!bet) {
      // A rollback before its bet: the bet's id is taken, rolled back.
      this.bets.set(op.ref, { amount: 0, status: 'ROLLED_BACK' });
      this.used.set(op.ref, { op: { kind: 'bet', tx: op.ref, amount: -1 }, balance: this.balance });
    } else if (bet.status !== 'ROLLED_BACK') {
      this.balance += bet.amount;
      bet.status = 'ROLLED_BACK';
    }
    return this.record(op);
  }

  private record(op: Op): Outcome {
    this.used.set(op.tx, { op, balance: this.balance });
    return { ok: true, balance: this.balance, duplicate: false };
  }
}

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
const tx = fc.constantFrom(...ids);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('bet' as const), tx, amount: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('win' as const), tx, amount: fc.integer({ min: 0, max: 60 }), ref: tx }),
  fc.record({ kind: fc.constant('rollback' as const), tx, ref: tx }),
);
/** A sequence where some calls are exact repeats of earlier ones, at random places. */
const sequence = fc
  .tuple(fc.array(op, { minLength: 1, maxLength: 20 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }))
  .map(([ops, repeats]) => {
    const result = [...ops];
    for (const [from, to] of repeats) result.splice(to % (result.length + 1), 0, result[from % result.length]!);
    return result;
  });

it('answers every call as the rules say and keeps ledger and balance together', async () => {
  await fc.assert(
    fc.asyncProperty(sequence, async (ops) => {
      const brand = { id: randomUUID(), code: 'demo', currency: 'USD' };
      const playerId = randomUUID();
      const provider = `p${randomUUID().slice(0, 8)}`;
      await adjustBalance(prisma, { brand, playerId, amount: 10_000n, key: `fund-${playerId}`, reference: 'fund', causedBy: 'test', reason: 'funding' }, { mayOpenAccount: true });
      const model = new Model();
      for (const step of ops) {
        const call = { brand, playerId, providerCode: provider, transactionId: step.tx, roundId: 'r', gameCode: 'g', gameCategory: 'SLOTS' };
        const cents = (n: number) => BigInt(n * 100);
        let actual: Outcome;
        try {
          const result =
            step.kind === 'bet'
              ? await placeBet(prisma, { ...call, amount: cents(step.amount) })
              : step.kind === 'win'
                ? await settleWin(prisma, { ...call, amount: cents(step.amount), referenceTransactionId: step.ref })
                : await rollbackBet(prisma, { ...call, referenceTransactionId: step.ref });
          actual = { ok: true, balance: Number(result.balance) / 100, duplicate: result.duplicate };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          actual = { ok: false, code: error.code };
        }
        expect({ step, outcome: actual }).toEqual({ step, outcome: model.apply(step) });
      }
      const account = await prisma.walletAccount.findUniqueOrThrow({ where: { playerId } });
      expect(Number(account.balance) / 100).toBe(model.balance);
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) },
  );
  expect(await findLedgerMismatches(prisma)).toEqual([]);
}, 120_000);
