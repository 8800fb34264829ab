import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, statementNames } from '@rgb/db';
import { createTestDatabase, type TestDatabase } from '@rgb/db/testing';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('statementNames', () => {
  it('gives one text one name, two texts two names, and stops naming past its limit', () => {
    const name = statementNames(2);
    const first = name({ sql: 'SELECT 1' });
    expect(first).toMatch(/^rgb_[0-9a-f]{24}$/);
    expect(name({ sql: 'SELECT 1' })).toBe(first);
    const second = name({ sql: 'SELECT 2' });
    expect(second).not.toBe(first);
    expect(name({ sql: 'SELECT 3' })).toBeUndefined();
    expect(name({ sql: 'SELECT 2' })).toBe(second);
  });
});

/** The prepared statements of the one connection a client of pool size 1 holds, after running `sql` three times. */
async function preparedAfter(preparedStatements: number, sql: string): Promise<{ name: string; statement: string }[]> {
  const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 1, preparedStatements });
  try {
    for (let run = 0; run < 3; run++) expect(await prisma.$queryRawUnsafe<{ n: number }[]>(sql, run)).toEqual([{ n: run }]);
    return await prisma.$queryRawUnsafe(`SELECT name, statement FROM pg_prepared_statements WHERE statement = $1`, sql);
  } finally {
    await prisma.$disconnect();
  }
}

describe('createPrismaClient', () => {
  it('prepares a repeated statement once per connection', async () => {
    const sql = 'SELECT $1::int AS n /* prepared */';
    const prepared = await preparedAfter(500, sql);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^rgb_/);
  });

  it('prepares nothing when told 0 (a pooler in transaction mode cannot hold them)', async () => {
    expect(await preparedAfter(0, 'SELECT $1::int AS n /* unprepared */')).toEqual([]);
  });

  it('runs a prepared statement in a transaction too', async () => {
    const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 1 });
    try {
      const sums = await prisma.$transaction(async (tx) => {
        const results: number[] = [];
        for (let run = 0; run < 3; run++) results.push((await tx.$queryRawUnsafe<{ n: number }[]>('SELECT $1::int + 1 AS n', run))[0]!.n);
        return results;
      });
      expect(sums).toEqual([1, 2, 3]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
