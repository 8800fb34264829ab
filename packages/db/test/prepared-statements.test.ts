import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, directSql, statement, statementNames, uniqueViolation } from '@rgb/db';
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

describe('directSql', () => {
  /** The client's one connection's prepared statements for `text`, after running it three times directly. */
  async function directlyPrepared(preparedStatements: number, text: string): Promise<string[]> {
    const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 1, preparedStatements });
    try {
      const sql = directSql(prisma);
      for (let run = 0; run < 3; run++) expect(await sql.rows(statement(text), [run])).toEqual([{ n: run }]);
      const rows = await sql.rows<{ name: string }>(statement('SELECT name FROM pg_prepared_statements WHERE statement = $1'), [text]);
      return rows.map((row) => row.name);
    } finally {
      await prisma.$disconnect();
    }
  }

  it('runs on the client’s own pool, each statement prepared once under the name of its text', async () => {
    const text = 'SELECT $1::int AS n /* direct */';
    expect(await directlyPrepared(500, text)).toEqual([statement(text).name]);
  });

  it('prepares nothing when the client is told 0', async () => {
    expect(await directlyPrepared(0, 'SELECT $1::int AS n /* direct, unprepared */')).toEqual([]);
  });

  it('counts the rows written, and a violated unique index reads as one through uniqueViolation', async () => {
    const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 1 });
    try {
      const sql = directSql(prisma);
      await sql.count(statement('CREATE TABLE direct_sql_test (id int CONSTRAINT direct_sql_test_pk PRIMARY KEY)'), []);
      const insert = statement('INSERT INTO direct_sql_test (id) VALUES ($1), ($2)');
      expect(await sql.count(insert, [1, 2])).toBe(2);
      const violation = await sql.count(insert, [3, 1]).catch((error: unknown) => error);
      expect(uniqueViolation(violation)).toBe('direct_sql_test_pk');
      expect(uniqueViolation(await sql.count(statement('SELECT 1/0'), []).catch((error: unknown) => error))).toBeNull();
      expect(await sql.rows(statement('SELECT count(*) AS n FROM direct_sql_test'), [])).toEqual([{ n: '2' }]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('is closed with the client: $disconnect ends its pool', async () => {
    const prisma = createPrismaClient({ databaseUrl: db.url, poolSize: 1 });
    const sql = directSql(prisma);
    expect(await sql.rows(statement('SELECT 1 AS one'), [])).toEqual([{ one: 1 }]);
    await prisma.$disconnect();
    await expect(sql.rows(statement('SELECT 1 AS one'), [])).rejects.toThrow(/pool/i);
  });
});
