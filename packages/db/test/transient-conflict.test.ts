import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient, transientConflict, uniqueViolation } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';

/** A real deadlock between two transactions: the one PostgreSQL aborts is recognised as worth running again. */
let db: TestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 4, applicationName: 'transient-conflict-test' });
  await prisma.$executeRawUnsafe('CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int NOT NULL)');
  await prisma.$executeRawUnsafe('INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)');
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const lock = (tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0], id: number) =>
  tx.$queryRawUnsafe(`SELECT n FROM deadlock_probe WHERE id = ${id} FOR UPDATE`);

it('tells a deadlock apart from other failures', async () => {
  let bothHoldOne: () => void;
  const held = new Promise<void>((resolve) => {
    let count = 0;
    bothHoldOne = () => ++count === 2 && resolve();
  });
  // Each locks one row, waits until the other holds its row, then asks for the other's.
  const crossing = (first: number, second: number) =>
    prisma.$transaction(async (tx) => {
      await lock(tx, first);
      bothHoldOne();
      await held;
      await lock(tx, second);
    }, { timeout: 20_000 });
  const outcomes = await Promise.allSettled([crossing(1, 2), crossing(2, 1)]);
  const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason);
  expect(failures).toHaveLength(1);
  expect(transientConflict(failures[0])).toBe(true);
  expect(uniqueViolation(failures[0])).toBeNull();

  const duplicate = await prisma.$executeRawUnsafe('INSERT INTO deadlock_probe VALUES (1, 0)').catch((error: unknown) => error);
  expect(uniqueViolation(duplicate)).not.toBeNull();
  expect(transientConflict(duplicate)).toBe(false);
  expect(transientConflict(new Error('deadlock detected'))).toBe(false);
});
