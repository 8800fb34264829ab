import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { createTestDatabase, terminateSessions, type TestDatabase } from '@rgb/db/testing';
import { withSession } from '../src/migrate';

/**
 * A restart, a failover or a pooler ends the server side of pooled connections. The process must
 * outlive it (an 'error' event nobody listens to would end it), report it, and query again.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

interface Client {
  prisma: PrismaClient;
  reported: Error[];
}

async function withClient(poolSize: number, use: (client: Client) => Promise<void>): Promise<void> {
  const reported: Error[] = [];
  const prisma = createPrismaClient({ databaseUrl: db.url, poolSize, applicationName: 'connection-reset-test', onConnectionError: (error) => reported.push(error) });
  try {
    await use({ prisma, reported });
  } finally {
    await prisma.$disconnect();
  }
}

const codeOf = (error: Error) => (error as Error & { code?: string }).code;
const one = async (prisma: PrismaClient) => (await prisma.$queryRawUnsafe<{ n: number }[]>('SELECT 1 AS n'))[0]!.n;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await pause(20);
  }
}

describe('a pooled connection the server ends', () => {
  it('is reported while idle in the pool, and the next queries open new connections', async () => {
    await withClient(3, async ({ prisma, reported }) => {
      // Three at once, so the pool holds three connections.
      await Promise.all([1, 2, 3].map(() => prisma.$queryRawUnsafe('SELECT 1 AS n FROM pg_sleep(0.2)')));
      expect(await terminateSessions(db.url)).toBe(3);
      await until(() => reported.filter((error) => codeOf(error) === '57P01').length === 3, 'each idle connection reported');
      expect(reported[0]!.message).toBe('terminating connection due to administrator command');
      expect(await Promise.all([1, 2, 3].map(() => one(prisma)))).toEqual([1, 1, 1]);
    });
  });

  it('fails the transaction that held it, and gives its place in the pool back', async () => {
    // One connection: had the transaction kept it, nothing could query afterwards.
    await withClient(1, async ({ prisma, reported }) => {
      const transaction = prisma.$transaction(async (tx) => {
        await tx.$queryRawUnsafe('SELECT 1 AS n');
        expect(await terminateSessions(db.url)).toBe(1);
        await tx.$queryRawUnsafe('SELECT 2 AS n');
      });
      await expect(transaction).rejects.toThrow(/terminating connection due to administrator command|not queryable|Connection terminated/);
      expect(await one(prisma)).toBe(1);
      await until(() => reported.length > 0, 'the lost connection reported');
    });
  });

  it('leaves the process alive under load while connections are ended again and again, and serves after', async () => {
    // More callers than connections, so a connection is often handed from one caller to a
    // waiting one at the moment the server ends it.
    await withClient(4, async ({ prisma, reported }) => {
      let running = true;
      let succeeded = 0;
      const failures = new Set<string>();
      const caller = async (index: number) => {
        while (running) {
          try {
            if (index % 2 === 0) await prisma.$queryRawUnsafe('SELECT 1 AS n FROM pg_sleep(0.005)');
            else
              await prisma.$transaction(async (tx) => {
                await tx.$queryRawUnsafe('SELECT 1 AS n');
                await pause(Math.random() * 10);
                await tx.$queryRawUnsafe('SELECT 2 AS n');
              });
            succeeded++;
          } catch (error) {
            failures.add((error as Error).message.split('\n').filter(Boolean).pop()!);
          }
        }
      };
      const callers = Array.from({ length: 10 }, (_, index) => caller(index));
      let terminations = 0;
      try {
        for (const end = Date.now() + 8_000; Date.now() < end; terminations++) {
          await terminateSessions(db.url, { waitMs: 0 });
          await pause(5 + Math.random() * 40);
        }
      } finally {
        running = false;
        await Promise.all(callers);
      }
      expect(terminations).toBeGreaterThan(20);
      expect(succeeded).toBeGreaterThan(0);
      expect(failures.size).toBeGreaterThan(0);
      expect(reported.length).toBeGreaterThan(0);
      expect(await Promise.all([1, 2, 3, 4, 5].map(() => one(prisma)))).toEqual([1, 1, 1, 1, 1]);
      await prisma.$transaction(async (tx) => expect((await tx.$queryRawUnsafe<{ n: number }[]>('SELECT 3 AS n'))[0]!.n).toBe(3));
    });
  }, 60_000);
});

describe('a session of its own (migrations, database maintenance) the server ends', () => {
  it('fails the work with the server\'s error, not the process', async () => {
    const work = withSession(db.url, async (client) => {
      await client.query('SELECT 1');
      const ended = new Promise((resolve) => client.once('end', resolve));
      expect(await terminateSessions(db.url)).toBe(1);
      await ended;
    });
    await expect(work).rejects.toMatchObject({ code: '57P01', message: 'terminating connection due to administrator command' });
  });
});
